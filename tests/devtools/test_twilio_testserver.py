"""The local Twilio-compatible server answers the real twilio client like Twilio does."""
import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from devtools.twilio_testserver import TwilioTestServer
from notify.providers.twilio import RebasedHttpClient


@pytest.fixture
def server():
    with TwilioTestServer() as running:
        yield running


def client_for(server, token=None):
    return Client(server.account_sid, token or server.auth_token, http_client=RebasedHttpClient(server.url, timeout=5))


def test_create_list_fetch(server):
    client = client_for(server)
    created = client.messages.create(to="+8613812345678", from_="+8610690000", body="【杭州一次办】测试",
                                      status_callback="http://yici.test/sms/status?n=1")
    assert created.sid.startswith("SM") and created.status == "queued" and created.num_segments == "1"
    assert client.messages(created.sid).fetch().body == "【杭州一次办】测试"
    assert [m.sid for m in client.messages.list(to="+8613812345678")] == [created.sid]
    assert client.messages.list(to="+8613900000000") == []
    [request] = server.creates()
    assert request.params["StatusCallback"] == "http://yici.test/sms/status?n=1"


def test_wrong_credentials_are_refused(server):
    with pytest.raises(TwilioRestException) as error:
        client_for(server, token="wrong").messages.create(to="+8613812345678", from_="+8610690000", body="x")
    assert error.value.status == 401 and server.messages == []


def test_scripted_error_codes_and_500s(server):
    server.fail(code=21610, to="+8613812345678")
    server.fail(status=500)
    client = client_for(server)
    with pytest.raises(TwilioRestException) as opted_out:
        client.messages.create(to="+8613812345678", from_="+8610690000", body="x")
    assert (opted_out.value.status, opted_out.value.code) == (400, 21610)
    with pytest.raises(TwilioRestException) as server_error:
        client.messages.create(to="+8613900000000", from_="+8610690000", body="x")
    assert server_error.value.status == 500
    client.messages.create(to="+8613900000000", from_="+8610690000", body="x")
    assert len(server.messages) == 1 and len(server.creates()) == 3
