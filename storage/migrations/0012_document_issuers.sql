-- 0009: who issues each official document of a campaign (Nghị định 30/2020/NĐ-CP): per level
-- (province summary, commune/ward list, school/agency list, department letter; after the
-- questions: the compilation of answers, the live programme, the conclusion notice, the
-- report) and, for one unit or department, overrides. A NULL field inherits (unit → level →
-- built-in default).

CREATE TABLE document_issuers (
    id               INTEGER PRIMARY KEY,
    campaign_id      INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    level            TEXT NOT NULL
                     CHECK (level IN ('province', 'commune', 'school', 'department',
                                      'answers', 'programme', 'conclusion', 'report')),
    target           TEXT NOT NULL DEFAULT '',       -- '' = the whole level, else a unit code
                                                     -- (department level: a department name)
    issuer           TEXT,                           -- "Ban Thường vụ", "Đoàn {unit}"
    issuer_parent    TEXT,                           -- "BCH Đoàn tỉnh {province}"
    letterhead       TEXT CHECK (letterhead IN ('state', 'youth_union')),
    symbol           TEXT,                           -- "BC-TĐTN", "SNV-CTTN"
    number           TEXT,                           -- NULL/'' = left blank for the clerk
    place            TEXT,                           -- "Cao Bằng"
    signer_authority TEXT,                           -- "TM. BAN THƯỜNG VỤ", "KT. GIÁM ĐỐC"
    signer_title     TEXT,                           -- "BÍ THƯ", "PHÓ GIÁM ĐỐC"
    signer_name      TEXT,
    recipients       TEXT,                           -- JSON list of "Nơi nhận" lines
    archive          TEXT,                           -- "VP" → "- Lưu: VT, VP."
    updated_at       TEXT NOT NULL,
    UNIQUE (campaign_id, level, target)
);
