"""The domain core: queue engine, stop visits, service records, ratings, appointments.

Never imports Kivy, drivers or network code: everything here runs in a test with only SQLite.
"""
