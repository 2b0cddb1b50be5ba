"""The control side: retirement, fault switches, reset and the HTML pages."""
import requests

from sandbox.server import LiveEmulator

FITBIT_CLIENT = ("sandbox-fitbit-client", "sandbox-fitbit-secret")


def test_once_retired_every_fitbit_endpoint_answers_410_gone(emulator, control, fitbit_login, person):
    token = fitbit_login(person["id"])["access_token"]
    assert control("post", "/retired", json={"fitbit": True}).json() == {"fitbit": True}
    base = f"{emulator.url}/fitbit"
    answers = [
        requests.get(f"{base}/oauth2/authorize", params={"client_id": FITBIT_CLIENT[0]}, timeout=10),
        requests.post(f"{base}/oauth2/token", data={"grant_type": "refresh_token"}, auth=FITBIT_CLIENT, timeout=10),
        requests.post(f"{base}/oauth2/revoke", data={"token": token}, auth=FITBIT_CLIENT, timeout=10),
        requests.get(f"{base}/1/user/-/profile.json", headers={"Authorization": f"Bearer {token}"}, timeout=10),
        requests.get(f"{base}/1/user/-/devices.json", headers={"Authorization": f"Bearer {token}"}, timeout=10),
        requests.post(f"{base}/1/user/-/activities/apiSubscriptions/1.json", headers={"Authorization": f"Bearer {token}"}, timeout=10),
        requests.get(f"{base}/1/user/-/activities/apiSubscriptions.json", headers={"Authorization": f"Bearer {token}"}, timeout=10),
    ]
    assert [answer.status_code for answer in answers] == [410] * len(answers)
    assert answers[4].json()["success"] is False
    assert control("post", f"/people/{person['id']}/sync", json={"platform": "fitbit"}).json()["pushes"] == []
    control("post", "/retired", json={"fitbit": False})
    assert requests.get(f"{base}/1/user/-/profile.json", headers={"Authorization": f"Bearer {token}"}, timeout=10).status_code == 200


def test_reset_forgets_people_tokens_logs_and_switches(emulator, control, fitbit_login, person):
    token = fitbit_login(person["id"])["access_token"]
    control("post", "/faults", json={"google": {"force_429": True}})
    control("post", "/limits", json={"fitbit": {"limit": 1}})
    assert control("post", "/reset").json() == {"reset": True}
    assert control("get", "/people").json() == {"people": []}
    assert control("get", "/requests").json()["count"] == 0
    assert control("get", "/faults").json()["google"]["force_429"] is False
    assert control("get", "/limits").json()["fitbit"] == {"limit": 150, "window_seconds": 3600}
    devices = requests.get(f"{emulator.url}/fitbit/1/user/-/devices.json", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert devices.status_code == 401


def test_forced_429_and_a_full_error_rate_answer_in_each_platforms_shape(emulator, control, google_login, person):
    token = google_login(person["id"])["access_token"]
    identity = f"{emulator.url}/google/v4/users/me/identity"
    control("post", "/faults", json={"google": {"force_429": True}})
    forced = requests.get(identity, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert forced.status_code == 429 and forced.json()["error"]["status"] == "RESOURCE_EXHAUSTED"
    control("post", "/faults", json={"google": {"force_429": False}, "fitbit": {"error_rate": 1}})
    assert requests.get(identity, headers={"Authorization": f"Bearer {token}"}, timeout=10).status_code == 200
    broken = requests.get(f"{emulator.url}/fitbit/1/user/-/devices.json", timeout=10)
    assert broken.status_code == 503 and broken.json()["errors"][0]["errorType"] == "system"
    assert control("get", "/requests", params={"platform": "fitbit", "status": 503}).json()["count"] == 1


def test_a_seeded_error_rate_fails_the_same_requests_every_run(subscriber):
    runs = []
    for _ in range(2):
        with LiveEmulator({"APP_URL": subscriber.url}) as emulator:
            requests.post(f"{emulator.url}/_control/faults", json={"vonage": {"error_rate": 0.5, "seed": 7}}, timeout=10)
            runs.append(
                [
                    requests.post(f"{emulator.url}/vonage/sms/json", data={"from": "B", "to": "447700900123", "text": "x"}, timeout=10).status_code
                    for _ in range(12)
                ]
            )
    assert runs[0] == runs[1] and set(runs[0]) == {200, 503}


def test_a_timeout_holds_the_request_past_the_clients_patience(emulator, control):
    control("post", "/faults", json={"fitbit": {"timeout_rate": 1, "timeout_seconds": 5}})
    try:
        requests.get(f"{emulator.url}/fitbit/1/user/-/devices.json", timeout=0.3)
    except requests.Timeout:
        return
    raise AssertionError("the request was not held")


def test_the_control_panel_and_phone_pages_render(emulator, control, person):
    panel = requests.get(emulator.url + "/", timeout=10)
    assert panel.status_code == 200 and person["fitbit_user_id"] in panel.text
    assert requests.get(emulator.url + "/phone", timeout=10).status_code == 200


def test_the_panel_forms_change_the_world_and_come_back_to_the_panel(emulator, control, person):
    device_id = person["devices"][0]["id"]
    response = requests.post(
        f"{emulator.url}/_control/people/{person['id']}/devices/{device_id}",
        data={"battery_level": "12", "battery_status": ""},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 303
    assert control("get", f"/people/{person['id']}").json()["devices"][0]["battery_status"] == "Low"


def test_unknown_people_and_bad_input_get_clear_errors(control, person):
    assert control("get", "/people/NOBODY").status_code == 404
    assert control("post", "/people", json={"time_zone": "Mars/Olympus"}).status_code == 400
    assert control("post", f"/people/{person['id']}/sync", json={"platform": "myspace"}).status_code == 400
    assert control("post", "/faults", json={"fitbit": {"error_rate": 2}}).status_code == 400
    assert control("get", "/faults").json()["fitbit"]["error_rate"] == 0
