"""Talking about the articles: questions, follow-ups, answers, the CLI and the Telegram bot."""
