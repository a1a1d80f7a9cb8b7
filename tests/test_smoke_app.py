def test_dashboard_requires_login(client):
    response = client.get("/dashboard")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_login_then_dashboard(client, users, login_as):
    login_as(users["clerk"])
    response = client.get("/dashboard")
    assert response.status_code == 200
    assert users["clerk"].full_name in response.get_data(as_text=True)


def test_a_settled_app_is_out_of_the_collectors_way_and_still_serves(make_app):
    """docflow.settle (wsgi.py): the objects a serving process holds are frozen, so that a full collection no
    longer walks them (100-140 ms a time at 1M: bench/README.md), and the app serves as before."""
    import gc

    from docflow import settle

    app = make_app()
    tracked = len(gc.get_objects())
    try:
        assert settle(app) is app
        assert gc.get_freeze_count() >= tracked // 2 and len(gc.get_objects()) < tracked // 10
        page = app.test_client().get("/auth/login")
        assert page.status_code == 200 and "<form" in page.get_data(as_text=True)
    finally:
        gc.unfreeze()
