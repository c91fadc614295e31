"""Device drivers; each has a simulator that speaks the real transport."""
