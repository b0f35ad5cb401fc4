"""Staff workspace tests in a real browser: each task end to end, at desktop and phone sizes."""
