# lib/virt, domain XML building and the install flow (vinstall).
