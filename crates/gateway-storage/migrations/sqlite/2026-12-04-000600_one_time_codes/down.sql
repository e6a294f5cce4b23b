DROP TABLE one_time_codes;
