# lib/image: block drivers, qcow2 engine, create, info, convert, check.
