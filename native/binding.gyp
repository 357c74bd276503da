{
  "targets": [
    {
      "target_name": "bootfleet_udp",
      "sources": ["bootfleet_udp.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    }
  ]
}
