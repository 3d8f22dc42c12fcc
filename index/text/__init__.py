"""Text: the word lists, conflict cues, restatements of a claim and content-word overlap."""
