"""StoryBot: a Discord bot that turns story files into a library a server can read and play with."""
