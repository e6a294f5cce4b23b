-- Whether the user's phone number is verified (Bird shows it as phoneNumbers[].verified).
ALTER TABLE users ADD COLUMN phone_number_verified BOOLEAN NOT NULL DEFAULT FALSE;
