"""initial schema

Revision ID: 0001
Revises: -
Create Date: 2026-11-26 19:38:44.910558
"""
import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('audit_log',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('subject', sa.Text(), nullable=True),
    sa.Column('detail', sa.Text(), server_default='{}', nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    op.create_table('classes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('class_id', sa.String(length=200), nullable=False),
    sa.Column('occupation_code', sa.String(length=32), nullable=False),
    sa.Column('occupation_name', sa.Text(), nullable=False),
    sa.Column('level', sa.String(length=8), nullable=False),
    sa.Column('training_type', sa.String(length=32), nullable=False),
    sa.Column('project_based', sa.Boolean(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=False),
    sa.Column('planned_hours', sa.Numeric(precision=10, scale=2), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('venue', sa.Text(), nullable=False),
    sa.Column('teacher_id', sa.String(length=18), nullable=False),
    sa.Column('filed_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), server_default='filed', nullable=False),
    sa.Column('upload_id', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_classes')),
    sa.UniqueConstraint('uscc', 'class_id', name='uq_classes_key')
    )
    with op.batch_alter_table('classes', schema=None) as batch_op:
        batch_op.create_index('ix_classes_teacher', ['teacher_id'], unique=False)

    op.create_table('enrolments',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('class_id', sa.String(length=200), nullable=False),
    sa.Column('id_number', sa.String(length=18), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('phone', sa.String(length=11), nullable=False),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('employer_uscc', sa.String(length=18), nullable=True),
    sa.Column('payer', sa.String(length=16), nullable=False),
    sa.Column('enrolled_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), server_default='enrolled', nullable=False),
    sa.Column('upload_id', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enrolments')),
    sa.UniqueConstraint('uscc', 'class_id', 'id_number', name='uq_enrolments_key')
    )
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.create_index('ix_enrolments_person', ['id_number'], unique=False)
        batch_op.create_index('ix_enrolments_phone', ['phone'], unique=False)

    op.create_table('findings',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('rule_code', sa.String(length=32), nullable=False),
    sa.Column('stage', sa.String(length=16), nullable=False),
    sa.Column('effect', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=True),
    sa.Column('class_id', sa.String(length=200), nullable=True),
    sa.Column('id_number', sa.String(length=18), nullable=True),
    sa.Column('evidence', sa.Text(), server_default='{}', nullable=False),
    sa.Column('run_id', sa.String(length=64), nullable=True),
    sa.Column('upload_id', sa.BigInteger(), nullable=True),
    sa.Column('row_no', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_findings'))
    )
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.create_index('ix_findings_entity', ['uscc', 'class_id', 'id_number'], unique=False)
        batch_op.create_index('ix_findings_rule', ['rule_code', 'status'], unique=False)

    op.create_table('institution_occupations',
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('occupation_code', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('uscc', 'occupation_code', name=op.f('pk_institution_occupations'))
    )
    op.create_table('institutions',
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('qualified_occupations', sa.Text(), nullable=False),
    sa.Column('rating', sa.String(length=1), nullable=False),
    sa.Column('blacklisted', sa.Boolean(), nullable=False),
    sa.Column('difficult', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('upload_id', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('uscc', name=op.f('pk_institutions'))
    )
    op.create_table('insured',
    sa.Column('id_number', sa.String(length=18), nullable=False),
    sa.Column('employer_uscc', sa.String(length=18), nullable=False),
    sa.Column('upload_id', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('id_number', 'employer_uscc', name=op.f('pk_insured'))
    )
    op.create_table('low_income',
    sa.Column('id_number', sa.String(length=18), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('upload_id', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('id_number', 'kind', name=op.f('pk_low_income'))
    )
    op.create_table('occupations',
    sa.Column('occupation_code', sa.String(length=32), nullable=False),
    sa.Column('occupation_name', sa.Text(), nullable=False),
    sa.Column('shortage', sa.Boolean(), nullable=False),
    sa.Column('upload_id', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('occupation_code', name=op.f('pk_occupations'))
    )
    op.create_table('pensioners',
    sa.Column('id_number', sa.String(length=18), nullable=False),
    sa.Column('upload_id', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('id_number', name=op.f('pk_pensioners'))
    )
    op.create_table('reference_history',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('dataset', sa.String(length=32), nullable=False),
    sa.Column('upload_id', sa.BigInteger(), nullable=True),
    sa.Column('replaced_by_upload', sa.BigInteger(), nullable=False),
    sa.Column('row', sa.Text(), nullable=False),
    sa.Column('replaced_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reference_history'))
    )
    op.create_table('row_history',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('table_name', sa.String(length=32), nullable=False),
    sa.Column('natural_key', sa.Text(), nullable=False),
    sa.Column('replaced_by_upload', sa.BigInteger(), nullable=False),
    sa.Column('old_row', sa.Text(), nullable=False),
    sa.Column('replaced_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_row_history'))
    )
    op.create_table('row_verdicts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('upload_id', sa.BigInteger(), nullable=False),
    sa.Column('row_no', sa.Integer(), nullable=False),
    sa.Column('verdict', sa.String(length=20), nullable=False),
    sa.Column('rule_codes', sa.Text(), server_default='', nullable=False),
    sa.Column('reason_zh', sa.Text(), nullable=True),
    sa.Column('reason_en', sa.Text(), nullable=True),
    sa.Column('raw', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_row_verdicts')),
    sa.UniqueConstraint('upload_id', 'row_no', name='uq_row_verdicts_row')
    )
    op.create_table('sessions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('class_id', sa.String(length=200), nullable=False),
    sa.Column('session_date', sa.Date(), nullable=False),
    sa.Column('start_time', sa.Time(), nullable=False),
    sa.Column('end_time', sa.Time(), nullable=False),
    sa.Column('start_at', sa.DateTime(), nullable=False),
    sa.Column('end_at', sa.DateTime(), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('mode', sa.String(length=8), nullable=False),
    sa.Column('upload_id', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sessions')),
    sa.UniqueConstraint('uscc', 'class_id', 'session_date', 'start_time', name='uq_sessions_key')
    )
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.create_index('ix_sessions_time', ['start_at', 'end_at'], unique=False)

    op.create_table('stg_filing',
    sa.Column('upload_id', sa.BigInteger(), nullable=False),
    sa.Column('row_no', sa.Integer(), nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('class_id', sa.Text(), nullable=True),
    sa.Column('institution_uscc', sa.String(length=18), nullable=True),
    sa.Column('occupation_code', sa.Text(), nullable=True),
    sa.Column('occupation_name', sa.Text(), nullable=True),
    sa.Column('level', sa.String(length=8), nullable=True),
    sa.Column('training_type', sa.String(length=32), nullable=True),
    sa.Column('project_based', sa.Boolean(), nullable=True),
    sa.Column('start_date', sa.Date(), nullable=True),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('planned_hours', sa.Numeric(precision=10, scale=2), nullable=True),
    sa.Column('capacity', sa.Integer(), nullable=True),
    sa.Column('venue', sa.Text(), nullable=True),
    sa.Column('teacher_id', sa.String(length=18), nullable=True),
    sa.Column('filed_on', sa.Date(), nullable=True),
    sa.Column('period_days', sa.Integer(), nullable=True),
    sa.Column('policy_has_standard', sa.Boolean(), nullable=False),
    sa.Column('format_errors', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('upload_id', 'row_no', name=op.f('pk_stg_filing'))
    )
    op.create_table('stg_roster',
    sa.Column('upload_id', sa.BigInteger(), nullable=False),
    sa.Column('row_no', sa.Integer(), nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('class_id', sa.Text(), nullable=True),
    sa.Column('id_number', sa.String(length=18), nullable=True),
    sa.Column('name', sa.Text(), nullable=True),
    sa.Column('phone', sa.String(length=11), nullable=True),
    sa.Column('category', sa.String(length=16), nullable=True),
    sa.Column('employer_uscc', sa.String(length=18), nullable=True),
    sa.Column('payer', sa.String(length=16), nullable=True),
    sa.Column('enrolled_on', sa.Date(), nullable=True),
    sa.Column('id_problem', sa.Text(), nullable=True),
    sa.Column('birth_ymd', sa.Integer(), nullable=True),
    sa.Column('format_errors', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('upload_id', 'row_no', name=op.f('pk_stg_roster'))
    )
    op.create_table('stg_schedule',
    sa.Column('upload_id', sa.BigInteger(), nullable=False),
    sa.Column('row_no', sa.Integer(), nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('class_id', sa.Text(), nullable=True),
    sa.Column('session_date', sa.Date(), nullable=True),
    sa.Column('start_time', sa.Time(), nullable=True),
    sa.Column('end_time', sa.Time(), nullable=True),
    sa.Column('mode', sa.String(length=8), nullable=True),
    sa.Column('start_at', sa.DateTime(), nullable=True),
    sa.Column('end_at', sa.DateTime(), nullable=True),
    sa.Column('minutes', sa.Integer(), nullable=True),
    sa.Column('format_errors', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('upload_id', 'row_no', name=op.f('pk_stg_schedule'))
    )
    op.create_table('subsidy_catalog',
    sa.Column('occupation_code', sa.String(length=32), nullable=False),
    sa.Column('level', sa.String(length=8), nullable=False),
    sa.Column('training_type', sa.String(length=32), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('upload_id', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('occupation_code', 'level', 'training_type', name=op.f('pk_subsidy_catalog'))
    )
    op.create_table('uploads',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('bucket', sa.String(length=63), nullable=False),
    sa.Column('key', sa.Text(), nullable=False),
    sa.Column('etag', sa.String(length=80), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('size_bytes', sa.BigInteger(), nullable=True),
    sa.Column('area', sa.String(length=16), nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=True),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('duplicate_of', sa.BigInteger(), nullable=True),
    sa.Column('run_id', sa.String(length=64), nullable=True),
    sa.Column('rows_total', sa.Integer(), nullable=True),
    sa.Column('rows_accepted', sa.Integer(), nullable=True),
    sa.Column('rows_rejected', sa.Integer(), nullable=True),
    sa.Column('rows_flagged', sa.Integer(), nullable=True),
    sa.Column('header', sa.Text(), nullable=True),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.Column('received_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('processed_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_uploads')),
    sa.UniqueConstraint('bucket', 'key', 'etag', name='uq_uploads_object')
    )
    with op.batch_alter_table('uploads', schema=None) as batch_op:
        batch_op.create_index('ix_uploads_sha', ['sha256', 'uscc', 'kind'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('uploads', schema=None) as batch_op:
        batch_op.drop_index('ix_uploads_sha')

    op.drop_table('uploads')
    op.drop_table('subsidy_catalog')
    op.drop_table('stg_schedule')
    op.drop_table('stg_roster')
    op.drop_table('stg_filing')
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_sessions_time')

    op.drop_table('sessions')
    op.drop_table('row_verdicts')
    op.drop_table('row_history')
    op.drop_table('reference_history')
    op.drop_table('pensioners')
    op.drop_table('occupations')
    op.drop_table('low_income')
    op.drop_table('insured')
    op.drop_table('institutions')
    op.drop_table('institution_occupations')
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.drop_index('ix_findings_rule')
        batch_op.drop_index('ix_findings_entity')

    op.drop_table('findings')
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.drop_index('ix_enrolments_phone')
        batch_op.drop_index('ix_enrolments_person')

    op.drop_table('enrolments')
    with op.batch_alter_table('classes', schema=None) as batch_op:
        batch_op.drop_index('ix_classes_teacher')

    op.drop_table('classes')
    op.drop_table('audit_log')

