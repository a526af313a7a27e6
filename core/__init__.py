"""Shared plumbing for every Yici process: settings, database, Redis, queues, calendars, identifiers."""
