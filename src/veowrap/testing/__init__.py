"""Offline tools for testing code that uses veowrap or google-genai video APIs."""
