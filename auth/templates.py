"""The few pages served outside Dash: sign in, the second factor, enrolment, sign out.

Plain HTML with no script at all, so they work before Dash has loaded and under the strictest
Content-Security-Policy. Jinja escapes every value.
"""

BASE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} · Olist Analytics</title>
<style>
 body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f4f6f9;margin:0;
      display:flex;min-height:100vh;align-items:center;justify-content:center;color:#1f2933}
 main{background:#fff;padding:2rem;border-radius:.75rem;box-shadow:0 4px 24px rgba(0,0,0,.08);width:min(24rem,90vw)}
 h1{font-size:1.25rem;margin:0 0 1.25rem} label{display:block;font-size:.875rem;margin:.75rem 0 .25rem}
 input{width:100%;box-sizing:border-box;padding:.6rem .7rem;border:1px solid #cbd2d9;border-radius:.4rem;font-size:1rem}
 button{margin-top:1.25rem;width:100%;padding:.65rem;border:0;border-radius:.4rem;background:#2563eb;color:#fff;font-size:1rem;cursor:pointer}
 button.secondary{background:#e4e7eb;color:#1f2933}
 p{font-size:.9rem;line-height:1.4} .muted{color:#52606d;font-size:.8rem}
 .error{background:#fdecea;color:#8a1c1c;padding:.6rem .75rem;border-radius:.4rem;font-size:.875rem}
 .ok{background:#e3f9e5;color:#05400a;padding:.6rem .75rem;border-radius:.4rem;font-size:.875rem}
 .qr{display:flex;justify-content:center;margin:1rem 0} .qr svg{width:12rem;height:12rem}
 code{font-size:.95rem;word-break:break-all} ol.codes{columns:2;font-family:ui-monospace,monospace;padding-left:1.5rem}
 a{color:#2563eb}
</style></head><body><main>
<h1>{{ heading or "Olist Analytics" }}</h1>
{% if error %}<p class="error" role="alert">{{ error }}</p>{% endif %}
{% if message %}<p class="ok" role="status">{{ message }}</p>{% endif %}
{{ body }}
</main></body></html>"""

LOGIN = """<form method="post" action="{{ url_for('auth.login', next=next) }}">
 {{ form.csrf_token }}
 <label for="username">User name</label>{{ form.username(id="username", autocomplete="username", autofocus=true) }}
 <label for="password">Password</label>{{ form.password(id="password", autocomplete="current-password") }}
 <button type="submit">Sign in</button>
</form>"""

SECOND_FACTOR = """<form method="post" action="{{ url_for('auth.second_factor', next=next) }}">
 {{ form.csrf_token }}
 <p>Enter the six-digit code your authenticator app shows for Olist Analytics, or one of your recovery codes.</p>
 <label for="code">Code</label>{{ form.code(id="code", autocomplete="one-time-code", inputmode="text", autofocus=true) }}
 <button type="submit">Verify</button>
</form>
<form method="post" action="{{ url_for('auth.logout') }}">{{ form.csrf_token }}
 <button type="submit" class="secondary">Cancel and sign out</button></form>"""

ENROL = """{% if required %}<p>Your organisation requires two-factor sign-in. Set it up to continue.</p>{% endif %}
<p>1. Scan this code with an authenticator app (Google Authenticator, Microsoft Authenticator, 1Password, ...),
or type the key below into it.</p>
<div class="qr" aria-label="QR code of the two-factor key">{{ qr|safe }}</div>
<p class="muted">Key: <code>{{ secret }}</code></p>
<form method="post" action="{{ url_for('auth.two_factor', next=next) }}">
 {{ form.csrf_token }}
 <label for="code">2. Enter the six-digit code the app shows</label>
 {{ form.code(id="code", autocomplete="one-time-code", inputmode="numeric", autofocus=true) }}
 <button type="submit">Turn on two-factor sign-in</button>
</form>
{% if required %}<form method="post" action="{{ url_for('auth.logout') }}">{{ form.csrf_token }}
 <button type="submit" class="secondary">Sign out</button></form>{% else %}
<p class="muted"><a href="{{ next }}">Back to the dashboard</a></p>{% endif %}"""

RECOVERY = """<p>Two-factor sign-in is on. Keep these recovery codes somewhere safe: each one signs you in once if
you lose your phone. They are shown only now.</p>
<ol class="codes">{% for c in codes %}<li><code>{{ c }}</code></li>{% endfor %}</ol>
<p><a href="{{ next }}">Continue to the dashboard</a></p>"""

ENROLLED = """<p>Two-factor sign-in is on for {{ username }}: {{ left }} recovery code{{ "" if left == 1 else "s" }} left.</p>
<p class="muted">Lost your phone or your codes? An admin can reset your second factor from the Admin page.</p>
<p><a href="{{ next }}">Back to the dashboard</a></p>"""

SIGN_OUT = """<p>Sign out of Olist Analytics?</p>
<form method="post" action="{{ url_for('auth.logout') }}">{{ form.csrf_token }}<button type="submit">Sign out</button></form>
<p class="muted"><a href="/">Back to the dashboard</a></p>"""
