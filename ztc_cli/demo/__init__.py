"""``ztc demo``: every part of the product on one machine, with simulated devices.

A small process supervisor (``supervisor``) starts the real servers and ztc processes that
``plan`` lists, each in its own process group, so Ctrl-C stops all of them and nothing is left behind.
"""
