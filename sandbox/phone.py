"""The emulated phone: texts received per number, and replies posted to our app as Vonage inbound SMS."""
import secrets

from flask import Blueprint, abort, redirect, render_template, request, url_for

from sandbox.context import current_settings, current_world
from sandbox.notifications import compact_json, deliver
from sandbox.vonage import SANDBOX_API_KEY, phone_number, signed
from sandbox.world import rfc3339, utc_now

blueprint = Blueprint("phone", __name__)

QUICK_REPLIES = ("STOP", "START", "BATTERY")
UNKNOWN_SENDER = "SANDBOX"


def reply_from_phone(world, settings, number, text, sender=None):
    """Post a reply to our inbound webhook exactly as Vonage posts an inbound SMS (JSON)."""
    with world.lock:
        if sender is None:
            received = [t for t in world.texts if t["direction"] == "to_phone" and t["to"] == number]
            sender = received[-1]["from"] if received else UNKNOWN_SENDER
    now = utc_now()
    words = text.split()
    inbound = {
        "msisdn": number,
        "to": sender,
        "messageId": secrets.token_hex(8).upper(),
        "text": text,
        "type": "text",
        # Vonage's keyword is the first word, upper-cased.
        "keyword": words[0].upper() if words else "",
        "message-timestamp": now.strftime("%Y-%m-%d %H:%M:%S"),
        "api-key": settings["VONAGE_API_KEY"] or SANDBOX_API_KEY,
    }
    inbound = signed(settings, inbound)
    status = deliver(
        world,
        "vonage",
        "inbound_sms",
        "POST",
        settings["VONAGE_INBOUND_URL"],
        compact_json(inbound),
        {"Content-Type": "application/json"},
    )
    with world.lock:
        world.texts.append(
            {
                "direction": "from_phone",
                "to": sender,
                "from": number,
                "text": text,
                "client_ref": None,
                "message_id": inbound["messageId"],
                "status": status,
                "time": rfc3339(now),
            }
        )
    return {"status": status, "inbound": inbound}


@blueprint.get("/phone")
def phones():
    world = current_world()
    with world.lock:
        numbers = sorted({t["to"] for t in world.texts if t["direction"] == "to_phone"})
    return render_template("phones.html", numbers=numbers)


@blueprint.get("/phone/<number>")
def conversation(number):
    digits = phone_number(number)
    if digits is None:
        abort(404)
    world = current_world()
    with world.lock:
        texts = [
            t
            for t in world.texts
            if (t["direction"] == "to_phone" and t["to"] == digits)
            or (t["direction"] == "from_phone" and t["from"] == digits)
        ]
    return render_template(
        "phone.html",
        number=digits,
        texts=list(reversed(texts)),
        quick_replies=QUICK_REPLIES,
        answered=request.args.get("answered"),
    )


@blueprint.post("/phone/<number>/reply")
def reply(number):
    digits = phone_number(number)
    text = request.form.get("quick") or request.form.get("text", "")
    if digits is None or not text.strip():
        abort(400)
    outcome = reply_from_phone(current_world(), current_settings(), digits, text.strip())
    return redirect(url_for("phone.conversation", number=digits, answered=outcome["status"]))
