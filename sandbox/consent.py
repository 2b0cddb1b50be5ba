"""The consent screens both platforms show: pick or create a person, untick scopes, approve or deny."""
from urllib.parse import urlencode

from flask import g, redirect, render_template, request

from sandbox.context import current_world

# A person created on a consent screen gets one tracker so the demo has a battery to read.
NEW_PERSON_DEVICE = {"type": "TRACKER", "product": "Charge 6", "battery_level": 80}


def _back_to_client(redirect_uri, **params):
    separator = "&" if "?" in redirect_uri else "?"
    params = {name: value for name, value in params.items() if value is not None}
    return redirect(redirect_uri + separator + urlencode(params), code=302)


def _refused(message):
    return render_template("authorize_error.html", message=message), 400


def consent_screen(platform, client_id):
    """GET shows the screen; POST carries the person's decision back to redirect_uri."""
    world = current_world()
    query = request.args
    if query.get("client_id") != client_id:
        return _refused("Unknown client_id: the app is not registered with this platform.")
    redirect_uri = query.get("redirect_uri")
    if not redirect_uri:
        return _refused("redirect_uri is missing.")
    state = query.get("state")
    if query.get("response_type") != "code":
        return _back_to_client(redirect_uri, error="unsupported_response_type", state=state)
    requested = query.get("scope", "").split()
    if request.method == "GET":
        with world.lock:
            people = list(world.people.values())
        return render_template(
            "authorize.html", platform=platform, people=people, scopes=requested, action=request.full_path
        )
    if request.form.get("decision") != "approve":
        return _back_to_client(redirect_uri, error="access_denied", state=state)
    with world.lock:
        person = world.find_person(request.form.get("person", ""))
        if person is None:
            person = world.add_person(request.form.get("name"), request.form.get("time_zone"))
            world.add_device(person, NEW_PERSON_DEVICE)
        g.person_id = person.id
        ticked = request.form.getlist("scope")
        granted = [scope for scope in requested if scope in ticked]
        code = world.grants.issue_code(
            platform=platform,
            person_id=person.id,
            client_id=client_id,
            scopes=granted,
            redirect_uri=redirect_uri,
            code_challenge=query.get("code_challenge"),
            code_challenge_method=query.get("code_challenge_method"),
            issue_refresh_token=_gives_refresh_token(world, platform, person, client_id),
        )
    return _back_to_client(redirect_uri, code=code, state=state)


def _gives_refresh_token(world, platform, person, client_id):
    """Fitbit always does; Google only for access_type=offline, and on repeat consent only with prompt=consent."""
    if platform == "fitbit":
        return True
    if request.args.get("access_type") != "offline":
        return False
    already_offline = any(
        grant.refresh_token and grant.client_id == client_id
        for grant in world.grants.active_grants(person.id, "google")
    )
    return not already_offline or "consent" in request.args.get("prompt", "").split()
