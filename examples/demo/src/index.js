// The demo worker: answers with the number of notes, behind a bearer token.
export default {
  async fetch(request, env) {
    if (request.headers.get("authorization") !== `Bearer ${env.API_INGRESS_TOKEN}`) {
      return new Response("unauthorized", { status: 401 });
    }
    const { count } = await env.DB.prepare("SELECT count(*) AS count FROM notes").first();
    return Response.json({ notes: count });
  },
};
