"""Custom actions of the Yici bot, run by rasa-sdk in the app environment (python -m rasa_sdk --actions bot.actions)."""
from core.logsetup import mask_all_handlers

# rasa_sdk has configured its own log handlers by the time it imports this package: mask ID numbers there too.
mask_all_handlers()
