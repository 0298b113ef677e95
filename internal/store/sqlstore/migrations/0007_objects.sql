-- Control-plane documents (REST APIs, functions and their code, IAM roles).
CREATE TABLE objects (
	kind {key} NOT NULL,
	okey {key} NOT NULL,
	data {blob},
	updated_at BIGINT,
	version BIGINT NOT NULL,
	PRIMARY KEY (kind, okey)
);
