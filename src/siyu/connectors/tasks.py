"""Registers the connectors' jobs (``siyu.jobs.load_job_modules`` imports ``siyu.<pkg>.tasks``)."""

from siyu.connectors.wecom import tasks as wecom_tasks

__all__ = ["wecom_tasks"]
