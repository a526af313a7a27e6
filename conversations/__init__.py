"""Conversations and their transcripts: the durable record of every chat and SMS exchange."""
