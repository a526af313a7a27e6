"""Test helpers that start and reach real services (Redis, databases, RQ workers, Rasa)."""
