"""attendance assessment certificate

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 19:56:07.566455
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('assessments',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('class_id', sa.String(length=200), nullable=False),
    sa.Column('id_number', sa.String(length=18), nullable=False),
    sa.Column('exam_date', sa.Date(), nullable=False),
    sa.Column('score', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.Column('assessor_uscc', sa.String(length=18), nullable=False),
    sa.Column('upload_id', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessments')),
    sa.UniqueConstraint('uscc', 'class_id', 'id_number', name='uq_assessments_key')
    )
    op.create_table('attendance',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('class_id', sa.String(length=200), nullable=False),
    sa.Column('id_number', sa.String(length=18), nullable=False),
    sa.Column('check_in', sa.DateTime(), nullable=False),
    sa.Column('check_out', sa.DateTime(), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('device_id', sa.String(length=200), nullable=False),
    sa.Column('upload_id', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attendance')),
    sa.UniqueConstraint('uscc', 'class_id', 'id_number', 'check_in', name='uq_attendance_key')
    )
    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.create_index('ix_attendance_class', ['uscc', 'class_id'], unique=False)
        batch_op.create_index('ix_attendance_device', ['device_id', 'check_in'], unique=False)
        batch_op.create_index('ix_attendance_person', ['id_number', 'check_in'], unique=False)

    op.create_table('attendance_hours',
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('class_id', sa.String(length=200), nullable=False),
    sa.Column('id_number', sa.String(length=18), nullable=False),
    sa.Column('sessions_attended', sa.Integer(), nullable=False),
    sa.Column('attended_minutes', sa.Integer(), nullable=False),
    sa.Column('online_minutes', sa.Integer(), nullable=False),
    sa.Column('scheduled_minutes', sa.Integer(), nullable=False),
    sa.Column('attendance_days', sa.Integer(), nullable=False),
    sa.Column('computed_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('uscc', 'class_id', 'id_number', name=op.f('pk_attendance_hours'))
    )
    op.create_table('certificates',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('certificate_no', sa.String(length=200), nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('class_id', sa.String(length=200), nullable=False),
    sa.Column('id_number', sa.String(length=18), nullable=False),
    sa.Column('certificate_type', sa.String(length=24), nullable=False),
    sa.Column('occupation_code', sa.String(length=32), nullable=False),
    sa.Column('level', sa.String(length=8), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('upload_id', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificates')),
    sa.UniqueConstraint('certificate_no', name='uq_certificates_no')
    )
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.create_index('ix_certificates_person', ['uscc', 'class_id', 'id_number'], unique=False)

    op.create_table('stg_assessment',
    sa.Column('upload_id', sa.BigInteger(), nullable=False),
    sa.Column('row_no', sa.Integer(), nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('class_id', sa.Text(), nullable=True),
    sa.Column('id_number', sa.String(length=18), nullable=True),
    sa.Column('exam_date', sa.Date(), nullable=True),
    sa.Column('score', sa.Numeric(precision=7, scale=2), nullable=True),
    sa.Column('passed', sa.Boolean(), nullable=True),
    sa.Column('assessor_uscc', sa.String(length=18), nullable=True),
    sa.Column('format_errors', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('upload_id', 'row_no', name=op.f('pk_stg_assessment'))
    )
    with op.batch_alter_table('stg_assessment', schema=None) as batch_op:
        batch_op.create_index('ix_stg_assessment_class', ['upload_id', 'uscc', 'class_id'], unique=False)

    op.create_table('stg_attendance',
    sa.Column('upload_id', sa.BigInteger(), nullable=False),
    sa.Column('row_no', sa.Integer(), nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('class_id', sa.Text(), nullable=True),
    sa.Column('id_number', sa.String(length=18), nullable=True),
    sa.Column('check_in', sa.DateTime(), nullable=True),
    sa.Column('check_out', sa.DateTime(), nullable=True),
    sa.Column('method', sa.String(length=16), nullable=True),
    sa.Column('device_id', sa.Text(), nullable=True),
    sa.Column('record_minutes', sa.Integer(), nullable=True),
    sa.Column('format_errors', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('upload_id', 'row_no', name=op.f('pk_stg_attendance'))
    )
    with op.batch_alter_table('stg_attendance', schema=None) as batch_op:
        batch_op.create_index('ix_stg_attendance_class', ['upload_id', 'uscc', 'class_id'], unique=False)
        batch_op.create_index('ix_stg_attendance_device', ['upload_id', 'device_id', 'check_in'], unique=False)
        batch_op.create_index('ix_stg_attendance_person', ['upload_id', 'id_number', 'check_in'], unique=False)

    op.create_table('stg_certificate',
    sa.Column('upload_id', sa.BigInteger(), nullable=False),
    sa.Column('row_no', sa.Integer(), nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('certificate_no', sa.Text(), nullable=True),
    sa.Column('class_id', sa.Text(), nullable=True),
    sa.Column('id_number', sa.String(length=18), nullable=True),
    sa.Column('certificate_type', sa.String(length=24), nullable=True),
    sa.Column('occupation_code', sa.Text(), nullable=True),
    sa.Column('level', sa.String(length=8), nullable=True),
    sa.Column('issued_on', sa.Date(), nullable=True),
    sa.Column('format_errors', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('upload_id', 'row_no', name=op.f('pk_stg_certificate'))
    )
    with op.batch_alter_table('stg_certificate', schema=None) as batch_op:
        batch_op.create_index('ix_stg_certificate_no', ['upload_id', 'certificate_no'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('stg_certificate', schema=None) as batch_op:
        batch_op.drop_index('ix_stg_certificate_no')

    op.drop_table('stg_certificate')
    with op.batch_alter_table('stg_attendance', schema=None) as batch_op:
        batch_op.drop_index('ix_stg_attendance_person')
        batch_op.drop_index('ix_stg_attendance_device')
        batch_op.drop_index('ix_stg_attendance_class')

    op.drop_table('stg_attendance')
    with op.batch_alter_table('stg_assessment', schema=None) as batch_op:
        batch_op.drop_index('ix_stg_assessment_class')

    op.drop_table('stg_assessment')
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_index('ix_certificates_person')

    op.drop_table('certificates')
    op.drop_table('attendance_hours')
    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.drop_index('ix_attendance_person')
        batch_op.drop_index('ix_attendance_device')
        batch_op.drop_index('ix_attendance_class')

    op.drop_table('attendance')
    op.drop_table('assessments')

