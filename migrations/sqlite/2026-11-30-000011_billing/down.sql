DROP TABLE payments;
DROP TABLE bill_sequences;
DROP TABLE bill_lines;
DROP TABLE bills;
