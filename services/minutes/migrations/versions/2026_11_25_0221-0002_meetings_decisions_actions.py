"""meetings, decisions, action items; offices seeded from the minutes we have

The offices are the ministries and divisions named in the two seed minutes (the NSSS focal
points' distribution list of 2021 and the Social Assistance cluster of 2019), until the registry
publishes the government's list. Search needs pg_trgm for its trigram indexes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 02:21:15.186638
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


# (code, Bangla name as the minutes write it, English name, kind)
OFFICES = [
    ("CABINET", "মন্ত্রিপরিষদ বিভাগ", "Cabinet Division", "division"),
    ("PMO", "প্রধানমন্ত্রীর কার্যালয়", "Prime Minister's Office", "office"),
    ("ICTD", "তথ্য ও যোগাযোগ প্রযুক্তি বিভাগ", "Information and Communication Technology Division", "division"),
    ("LGD", "স্থানীয় সরকার বিভাগ", "Local Government Division", "division"),
    ("MOWR", "পানি সম্পদ মন্ত্রণালয়", "Ministry of Water Resources", "ministry"),
    ("FD", "অর্থ বিভাগ", "Finance Division", "division"),
    ("MOA", "কৃষি মন্ত্রণালয়", "Ministry of Agriculture", "ministry"),
    ("MOPA", "জনপ্রশাসন মন্ত্রণালয়", "Ministry of Public Administration", "ministry"),
    ("MOYS", "যুব ও ক্রীড়া মন্ত্রণালয়", "Ministry of Youth and Sports", "ministry"),
    ("HSD", "স্বাস্থ্য সেবা বিভাগ", "Health Services Division", "division"),
    ("MOHPW", "গৃহায়ন ও গণপূর্ত মন্ত্রণালয়", "Ministry of Housing and Public Works", "ministry"),
    ("MOC", "বাণিজ্য মন্ত্রণালয়", "Ministry of Commerce", "ministry"),
    ("MOFOOD", "খাদ্য মন্ত্রণালয়", "Ministry of Food", "ministry"),
    ("SHED", "মাধ্যমিক ও উচ্চ শিক্ষা বিভাগ", "Secondary and Higher Education Division", "division"),
    ("MOFL", "মৎস্য ও প্রাণিসম্পদ মন্ত্রণালয়", "Ministry of Fisheries and Livestock", "ministry"),
    ("MEFWD", "স্বাস্থ্য শিক্ষা ও পরিবার কল্যাণ বিভাগ", "Medical Education and Family Welfare Division", "division"),
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
    ("GED", "সাধারণ অর্থনীতি বিভাগ, পরিকল্পনা কমিশন", "General Economics Division, Planning Commission", "commission"),
    ("MOLWA", "মুক্তিযুদ্ধ বিষয়ক মন্ত্রণালয়", "Ministry of Liberation War Affairs", "ministry"),
    ("MOEFCC", "পরিবেশ, বন ও জলবায়ু পরিবর্তন মন্ত্রণালয়", "Ministry of Environment, Forest and Climate Change", "ministry"),
    ("MOL", "ভূমি মন্ত্রণালয়", "Ministry of Land", "ministry"),
    ("MOIND", "শিল্প মন্ত্রণালয়", "Ministry of Industries", "ministry"),
    ("MOSW", "সমাজকল্যাণ মন্ত্রণালয়", "Ministry of Social Welfare", "ministry"),
    ("MOCHTA", "পার্বত্য চট্টগ্রাম বিষয়ক মন্ত্রণালয়", "Ministry of Chittagong Hill Tracts Affairs", "ministry"),
    ("MOWCA", "মহিলা ও শিশু বিষয়ক মন্ত্রণালয়", "Ministry of Women and Children Affairs", "ministry"),
    ("RDCD", "পল্লী উন্নয়ন ও সমবায় বিভাগ", "Rural Development and Co-operatives Division", "division"),
    ("MOCA", "সংস্কৃতি বিষয়ক মন্ত্রণালয়", "Ministry of Cultural Affairs", "ministry"),
    ("MOLE", "শ্রম ও কর্মসংস্থান মন্ত্রণালয়", "Ministry of Labour and Employment", "ministry"),
    ("FID", "আর্থিক প্রতিষ্ঠান বিভাগ", "Financial Institutions Division", "division"),
    ("MORA", "ধর্ম বিষয়ক মন্ত্রণালয়", "Ministry of Religious Affairs", "ministry"),
    ("PLANDIV", "পরিকল্পনা বিভাগ", "Planning Division", "division"),
    ("DSS", "সমাজসেবা অধিদফতর", "Department of Social Services", "department"),
]


def upgrade() -> None:
    # Trigram indexes for search; the dev stack creates the extension already, a fresh server may not.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table(
        "offices",
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name_bn", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "kind IN ('ministry', 'division', 'office', 'department', 'commission')", name=op.f("ck_offices_kind")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_offices")),
        schema="minutes",
    )
    op.create_table(
        "committees",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name_bn", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text(), nullable=True),
        sa.Column("secretary_office_code", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["secretary_office_code"],
            ["minutes.offices.code"],
            name=op.f("fk_committees_secretary_office_code_offices"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_committees")),
        sa.UniqueConstraint("code", name=op.f("uq_committees_code")),
        schema="minutes",
    )
    op.create_table(
        "committee_members",
        sa.Column("committee_id", sa.Uuid(), nullable=False),
        sa.Column("office_code", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["committee_id"],
            ["minutes.committees.id"],
            name=op.f("fk_committee_members_committee_id_committees"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["office_code"], ["minutes.offices.code"], name=op.f("fk_committee_members_office_code_offices")
        ),
        sa.PrimaryKeyConstraint("committee_id", "office_code", name=op.f("pk_committee_members")),
        schema="minutes",
    )
    op.create_table(
        "meetings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("committee_id", sa.Uuid(), nullable=False),
        sa.Column("title_bn", sa.Text(), nullable=False),
        sa.Column("title_en", sa.Text(), nullable=True),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("starts_at", sa.Time(), nullable=True),
        sa.Column("venue", sa.Text(), nullable=True),
        sa.Column("is_online", sa.Boolean(), nullable=False),
        sa.Column("chair_name", sa.Text(), nullable=False),
        sa.Column("chair_designation", sa.Text(), nullable=True),
        sa.Column("attendance_note", sa.Text(), nullable=True),
        sa.Column("attendees", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("opening_remarks", sa.Text(), nullable=True),
        sa.Column("memo_number", sa.Text(), nullable=True),
        sa.Column("issued_on", sa.Date(), nullable=True),
        sa.Column("signed_by_name", sa.Text(), nullable=True),
        sa.Column("signed_by_designation", sa.Text(), nullable=True),
        sa.Column("recorded_by_office", sa.Text(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["committee_id"], ["minutes.committees.id"], name=op.f("fk_meetings_committee_id_committees")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meetings")),
        schema="minutes",
    )
    op.create_index(
        "ix_meetings_search_text_trgm",
        "meetings",
        ["search_text"],
        unique=False,
        schema="minutes",
        postgresql_using="gin",
        postgresql_ops={"search_text": "gin_trgm_ops"},
    )
    op.create_index(
        op.f("ix_minutes_meetings_committee_id"), "meetings", ["committee_id"], unique=False, schema="minutes"
    )
    op.create_table(
        "agenda_items",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("meeting_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("label", sa.Text(), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("discussion", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["minutes.meetings.id"],
            name=op.f("fk_agenda_items_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agenda_items")),
        sa.UniqueConstraint("meeting_id", "position", name="uq_agenda_items_meeting_position"),
        schema="minutes",
    )
    op.create_table(
        "decisions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("meeting_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("text_bn", sa.Text(), nullable=False),
        sa.Column("text_en", sa.Text(), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["minutes.meetings.id"], name=op.f("fk_decisions_meeting_id_meetings"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decisions")),
        sa.UniqueConstraint("meeting_id", "position", name="uq_decisions_meeting_position"),
        schema="minutes",
    )
    op.create_index(
        "ix_decisions_search_text_trgm",
        "decisions",
        ["search_text"],
        unique=False,
        schema="minutes",
        postgresql_using="gin",
        postgresql_ops={"search_text": "gin_trgm_ops"},
    )
    op.create_index(
        op.f("ix_minutes_decisions_meeting_id"), "decisions", ["meeting_id"], unique=False, schema="minutes"
    )
    op.create_table(
        "distribution_entries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("meeting_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.Text(), nullable=False),
        sa.Column("office_code", sa.Text(), nullable=True),
        sa.CheckConstraint("kind IN ('distribution', 'copy')", name=op.f("ck_distribution_entries_kind")),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["minutes.meetings.id"],
            name=op.f("fk_distribution_entries_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["office_code"], ["minutes.offices.code"], name=op.f("fk_distribution_entries_office_code_offices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_distribution_entries")),
        sa.UniqueConstraint("meeting_id", "kind", "position", name="uq_distribution_entries_meeting_kind_position"),
        schema="minutes",
    )
    op.create_table(
        "action_items",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("decision_id", sa.Uuid(), nullable=False),
        sa.Column("meeting_id", sa.Uuid(), nullable=False),
        sa.Column("committee_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("deadline_as_written", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "status IN ('open', 'in_progress', 'done', 'overdue', 'cancelled')", name=op.f("ck_action_items_status")
        ),
        sa.ForeignKeyConstraint(
            ["committee_id"], ["minutes.committees.id"], name=op.f("fk_action_items_committee_id_committees")
        ),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["minutes.decisions.id"],
            name=op.f("fk_action_items_decision_id_decisions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["minutes.meetings.id"],
            name=op.f("fk_action_items_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_items")),
        schema="minutes",
    )
    op.create_index(
        "ix_action_items_pending_deadline",
        "action_items",
        ["deadline"],
        unique=False,
        schema="minutes",
        postgresql_where=sa.text("status IN ('open', 'in_progress') AND deadline IS NOT NULL"),
    )
    op.create_index(
        op.f("ix_minutes_action_items_committee_id"), "action_items", ["committee_id"], unique=False, schema="minutes"
    )
    op.create_index(
        op.f("ix_minutes_action_items_decision_id"), "action_items", ["decision_id"], unique=False, schema="minutes"
    )
    op.create_table(
        "action_item_offices",
        sa.Column("action_item_id", sa.Uuid(), nullable=False),
        sa.Column("office_code", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["action_item_id"],
            ["minutes.action_items.id"],
            name=op.f("fk_action_item_offices_action_item_id_action_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["office_code"], ["minutes.offices.code"], name=op.f("fk_action_item_offices_office_code_offices")
        ),
        sa.PrimaryKeyConstraint("action_item_id", "office_code", name=op.f("pk_action_item_offices")),
        schema="minutes",
    )
    op.create_index(
        op.f("ix_minutes_action_item_offices_office_code"),
        "action_item_offices",
        ["office_code"],
        unique=False,
        schema="minutes",
    )
    op.create_table(
        "action_updates",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("action_item_id", sa.Uuid(), nullable=False),
        sa.Column("posted_by_office", sa.Text(), nullable=False),
        sa.Column("status_before", sa.Text(), nullable=False),
        sa.Column("status_after", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("evidence", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), server_default=sa.text("clock_timestamp()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["action_item_id"],
            ["minutes.action_items.id"],
            name=op.f("fk_action_updates_action_item_id_action_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_updates")),
        schema="minutes",
    )
    op.create_index(
        op.f("ix_minutes_action_updates_action_item_id"),
        "action_updates",
        ["action_item_id"],
        unique=False,
        schema="minutes",
    )
    offices = sa.table(
        "offices", sa.column("code"), sa.column("name_bn"), sa.column("name_en"), sa.column("kind"), schema="minutes"
    )
    op.bulk_insert(
        offices,
        [
            {"code": code, "name_bn": unicodedata.normalize("NFC", name_bn), "name_en": name_en, "kind": kind}
            for code, name_bn, name_en, kind in OFFICES
        ],
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_minutes_action_updates_action_item_id"), table_name="action_updates", schema="minutes")
    op.drop_table("action_updates", schema="minutes")
    op.drop_index(
        op.f("ix_minutes_action_item_offices_office_code"), table_name="action_item_offices", schema="minutes"
    )
    op.drop_table("action_item_offices", schema="minutes")
    op.drop_index(op.f("ix_minutes_action_items_decision_id"), table_name="action_items", schema="minutes")
    op.drop_index(op.f("ix_minutes_action_items_committee_id"), table_name="action_items", schema="minutes")
    op.drop_index(
        "ix_action_items_pending_deadline",
        table_name="action_items",
        schema="minutes",
        postgresql_where=sa.text("status IN ('open', 'in_progress') AND deadline IS NOT NULL"),
    )
    op.drop_table("action_items", schema="minutes")
    op.drop_table("distribution_entries", schema="minutes")
    op.drop_index(op.f("ix_minutes_decisions_meeting_id"), table_name="decisions", schema="minutes")
    op.drop_index(
        "ix_decisions_search_text_trgm",
        table_name="decisions",
        schema="minutes",
        postgresql_using="gin",
        postgresql_ops={"search_text": "gin_trgm_ops"},
    )
    op.drop_table("decisions", schema="minutes")
    op.drop_table("agenda_items", schema="minutes")
    op.drop_index(op.f("ix_minutes_meetings_committee_id"), table_name="meetings", schema="minutes")
    op.drop_index(
        "ix_meetings_search_text_trgm",
        table_name="meetings",
        schema="minutes",
        postgresql_using="gin",
        postgresql_ops={"search_text": "gin_trgm_ops"},
    )
    op.drop_table("meetings", schema="minutes")
    op.drop_table("committee_members", schema="minutes")
    op.drop_table("committees", schema="minutes")
    op.drop_table("offices", schema="minutes")
