"""The training launch: node scripts, code upload, SSM orchestration, job status, logs, checkpoints.

boto3 is imported lazily, inside the functions that talk to AWS.
"""
