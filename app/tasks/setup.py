"""Account setup after sign-in: the time zone, the Fitbit push subscription, then the first sync."""

from __future__ import annotations

from rq.job import JobStatus

from app.adapters.providers import PlatformError, client_for
from app.domain import accounts
from app.domain.tokens import with_platform
from app.extensions import db, queues
from app.models import Platform, User
from app.tasks.connection import handle_connection_error
from app.tasks.revocation import revoke_left_platforms
from app.tasks.sync import PLATFORM_RETRY, request_sync

# A Fitbit account without its subscription gets no pushes, so setting one up must outlast a bad hour at the
# platform; past the last retry the sweep starts it again (sweeps.resume_account_setups).
SETUP_PENDING = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.STARTED, JobStatus.DEFERRED}


def subscription_id(user: User) -> str:
    # Ours to choose, at most 50 characters, and stable for the user.
    return f"battery-text-{user.id}"


def queue_account_setup(user_id: int) -> bool:
    """Queue `prepare_account` unless the user's is already waiting, running or due for a retry."""
    queue = queues.queue("default")
    job_id = f"prepare-account-{user_id}"
    earlier = queue.fetch_job(job_id)
    if earlier is not None:
        if earlier.get_status(refresh=False) in SETUP_PENDING:
            return False
        earlier.delete()
    queue.enqueue(prepare_account, user_id, retry=PLATFORM_RETRY, job_id=job_id)
    return True


def prepare_account(user_id: int) -> None:
    """Read the time zone, subscribe to pushes (Fitbit), revoke a platform left behind, sync for the first time."""
    user = db.session.get(User, user_id)
    if user is None:
        return
    client = client_for(user.platform)
    try:
        if user.time_zone_from_platform:
            zone = with_platform(user, client, lambda session: client.time_zone(session, user.platform_user_id))
            if zone:
                user.time_zone = zone
        if user.platform is Platform.FITBIT:
            wanted = subscription_id(user)
            with_platform(user, client, lambda session: client.subscribe(session, user.platform_user_id, wanted))
            user.fitbit_subscription_id = wanted
        db.session.commit()
    except PlatformError as error:
        if handle_connection_error(user, error):
            return
        raise
    revoke_left_platforms(accounts.old_platform_tokens(user))
    request_sync(user.platform.value, user.platform_user_id)
