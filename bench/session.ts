// Signing in to a running app as a browser would (the login form, its CSRF token), for the
// benchmarks that time pages over HTTP.

/** The password of the benchmarks' users. */
export const BENCH_PASSWORD = 'bench password 123';

/** `name=value` of each Set-Cookie header of a response. */
function cookiesOf(response: Response): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const header of response.headers.getSetCookie()) {
    const pair = header.split(';', 1)[0];
    const eq = pair.indexOf('=');
    cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
  }
  return cookies;
}

/** Signs in through the login form as a browser would; returns the cookie header a browser would
 * send then (its session and its CSRF cookie). */
export async function signIn(base: string, email: string): Promise<string> {
  const form = await fetch(`${base}/login`);
  if (form.status !== 200) throw new Error(`GET /login answered ${form.status}`);
  const csrfCookie = cookiesOf(form).get('tc_csrf');
  const token = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1];
  if (!csrfCookie || !token) throw new Error('GET /login gave no tc_csrf cookie or _csrf field');

  const response = await fetch(`${base}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `tc_csrf=${csrfCookie}` },
    body: new URLSearchParams({ _csrf: token, email, password: BENCH_PASSWORD }).toString(),
  });
  const session = cookiesOf(response).get('tc_session');
  if (response.status !== 303 || !session) throw new Error(`POST /login answered ${response.status}${session ? '' : ' without a tc_session cookie'}`);
  const cookie = `tc_session=${session}`;

  const page = await fetch(`${base}/dashboard`, { headers: { cookie }, redirect: 'manual' });
  const html = await page.text();
  if (page.status !== 200 || !html.includes('id="balance"')) throw new Error(`GET /dashboard after sign-in answered ${page.status}, not the dashboard`);
  // A browser keeps the CSRF cookie its pages set and sends it back: without it, every request
  // would be a first visit that makes a new CSRF secret and sets a cookie.
  const csrf = cookiesOf(page).get('tc_csrf') ?? cookiesOf(response).get('tc_csrf') ?? csrfCookie;
  return `${cookie}; tc_csrf=${csrf}`;
}
