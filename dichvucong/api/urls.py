from ninja import NinjaAPI

api = NinjaAPI(title="dichvucong", version="1", docs_url="/docs")
