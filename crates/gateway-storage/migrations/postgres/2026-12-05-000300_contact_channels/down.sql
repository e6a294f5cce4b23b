DROP TABLE contact_channels;
