"""In-app and e-mail notifications, with each user's preferences."""
