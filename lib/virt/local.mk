# lib/virt: libvirt connection, domains, waits, XML.
