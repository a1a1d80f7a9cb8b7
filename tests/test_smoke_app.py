def test_dashboard_requires_login(client):
    response = client.get("/dashboard")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_login_then_dashboard(client, users, login_as):
    login_as(users["clerk"])
    response = client.get("/dashboard")
    assert response.status_code == 200
    assert users["clerk"].full_name in response.get_data(as_text=True)
