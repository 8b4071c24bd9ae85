"""The Flask extensions, each created once and bound to the app in `create_app`."""

from flask_caching import Cache
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from banking.core.models.base import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
cache = Cache()
limiter = Limiter(key_func=get_remote_address, default_limits=[])

# Every limit in the app is on a POST (sign-in, sign-up, password reset, re-checks of the
# password: banking/web/auth/throttling.py); nothing is limited by default. Evaluating
# the limits of a GET found none, at ~5 % of a cached page's CPU, so safe methods skip
# them. A limit on a GET would have to remove this filter (tests/security checks it).
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@limiter.request_filter
def _safe_methods_are_not_limited() -> bool:
    from flask import request

    return request.method in SAFE_METHODS
