import pytest
from django.urls import reverse
from tests.conftest import make_procedure
pytestmark = pytest.mark.django_db
def test_x(admin_client):
    v1 = make_procedure()
    r = admin_client.post(reverse("admin:catalogue_procedure_changelist"), {"action": "start_revision_action", "_selected_action": [v1.pk]}, follow=True)
    body = r.content.decode()
    i = body.find("Đã mở bản nháp")
    print(body[i-50:i+200])
    r = admin_client.get(reverse("admin:catalogue_procedure_changelist"))
    b = r.content.decode(); i = b.find("<thead>"); print(b[i:i+1500])
