// Every test runs with the same clock zone; times in answers are always UTC anyway.
process.env['TZ'] = 'UTC';
