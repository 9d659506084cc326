// The OpenAPI description served at /api/openapi.json. The make request's schema is built from
// the same field table the server parses with (jobs/make_request.h), so the two cannot drift.
#include "jobs/make_request.h"
#include "server/server.h"

namespace tonepoem {
namespace {

nlohmann::json error_response(const std::string& description) {
  return {
      {"description", description},
      {"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Error"}}}}}}}};
}

nlohmann::json job_response(const std::string& description) {
  return {
      {"description", description},
      {"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Job"}}}}}}}};
}

nlohmann::json id_parameter() {
  return {{"name", "id"},
          {"in", "path"},
          {"required", true},
          {"description", "The job's id: 32 lowercase hex digits"},
          {"schema", {{"type", "string"}, {"pattern", "^[0-9a-f]{32}$"}}}};
}

}  // namespace

nlohmann::json openapi_document() {
  nlohmann::json request_properties = nlohmann::json::object();
  for (const MakeRequestField& field : make_request_fields())
    request_properties[std::string(field.name)] = {{"type", field.type},
                                                   {"description", field.description}};
  nlohmann::json schemas;
  schemas["MakeRequest"] = {
      {"type", "object"},
      {"description",
       "The options of tonepoem make, named as its flags without dashes; checked by the same code "
       "as the CLI. Give a story, or an edited cue sheet (cues) to re-compose: the studio's "
       "edit loop"},
      {"oneOf", {{{"required", {"story"}}}, {{"required", {"cues"}}}}},
      {"additionalProperties", false},
      {"properties", request_properties}};
  nlohmann::json stage = {{"type", "object"}};
  stage["properties"]["name"] = {{"type", "string"}};
  stage["properties"]["seconds"] = {{"type", "number"}};
  nlohmann::json job = {{"type", "object"}};
  nlohmann::json& p = job["properties"];
  p["id"] = {{"type", "string"}};
  p["kind"] = {{"type", "string"},
               {"enum", {"make", "mv", "score"}},
               {"description",
                "make: a story or cue sheet (JSON); mv: an uploaded song, score: "
                "an uploaded film (forms)"}};
  p["state"] = {{"type", "string"}, {"enum", {"queued", "running", "done", "failed", "cancelled"}}};
  p["options"] = {
      {"type", "object"},
      {"description",
       "make: the MakeRequest; mv, score: {request: the options part, upload, file, text, "
       "images}: where the server stored the files it was sent"}};
  p["stage"] = {{"type", "string"}, {"description", "The stage running now"}};
  p["stage_progress"] = {{"type", "number"}, {"minimum", 0}, {"maximum", 1}};
  p["stages"] = {{"type", "array"},
                 {"description", "Finished stages with their wall seconds"},
                 {"items", stage}};
  p["outputs"] = {
      {"type", "array"},
      {"description", "Files written (done): names for GET /api/jobs/{id}/files/{name}"},
      {"items", {{"type", "string"}}}};
  p["attempts"] = {{"type", "integer"}};
  p["error"] = {{"type", "string"}, {"description", "failed: what is wrong and the fix"}};
  p["exit_code"] = {{"type", "integer"},
                    {"description", "failed: tonepoem make's exit code for the same error"}};
  p["created_ms"] = {{"type", "integer"}};
  p["started_ms"] = {{"type", "integer"}};
  p["finished_ms"] = {{"type", "integer"}};
  schemas["Job"] = job;
  nlohmann::json problem = {{"type", "object"}};
  problem["properties"]["field"] = {{"type", "string"}};
  problem["properties"]["message"] = {{"type", "string"}};
  nlohmann::json error = {{"type", "object"}};
  error["properties"]["error"] = {{"type", "string"}};
  error["properties"]["problems"] = {{"type", "array"}, {"items", problem}};
  schemas["Error"] = error;

  nlohmann::json paths;
  nlohmann::json request_body = {{"required", true}};
  request_body["content"]["application/json"]["schema"] = {
      {"$ref", "#/components/schemas/MakeRequest"}};
  // An mv or score job: the files as a form, their types read from their bytes.
  nlohmann::json upload = {{"type", "object"}};
  upload["properties"]["kind"] = {
      {"type", "string"},
      {"enum", {"mv", "score"}},
      {"description", "mv (default): a song's music video; score: a film scored"}};
  upload["properties"]["options"] = {
      {"type", "string"},
      {"description",
       "JSON object. mv: seed, style, resolution, fps, quality, font, captions (as "
       "in MakeRequest); score: seed, style (the music's), duck (dB), loudness "
       "(LUFS), lang"}};
  upload["properties"]["song"] = {
      {"type", "string"},
      {"format", "binary"},
      {"description", "mv (required): the song, WAV, FLAC, Ogg, MP3, AAC, M4A/MP4 or MKV/WebM"}};
  upload["properties"]["lyrics"] = {
      {"type", "string"},
      {"format", "binary"},
      {"description",
       "mv: LRC (enhanced LRC word times), SRT, WebVTT or plain lines; read by "
       "the file name's extension when it is .lrc, .srt or .vtt"}};
  upload["properties"]["images"] = {
      {"type", "array"},
      {"items", {{"type", "string"}, {"format", "binary"}}},
      {"description", "mv: PNG, JPEG, WebP or BMP pictures, cut on the song's downbeats"}};
  upload["properties"]["clips"] = {
      {"type", "array"},
      {"items", {{"type", "string"}, {"format", "binary"}}},
      {"description",
       "mv: video clips (not with images), edited to the music: shots cut on "
       "beats, their own sound dropped"}};
  upload["properties"]["video"] = {
      {"type", "string"},
      {"format", "binary"},
      {"description", "score (required): the film, MP4/MOV, MKV/WebM, AVI or MPEG-TS"}};
  upload["properties"]["subtitles"] = {
      {"type", "string"},
      {"format", "binary"},
      {"description", "score: SRT, WebVTT or ASS/SSA; the music ducks under each line"}};
  request_body["content"]["multipart/form-data"]["schema"] = upload;
  nlohmann::json create_responses = {
      {"201", job_response("Queued; Location names the job")},
      {"400", error_response("Not JSON, or an option is wrong: each problem names its field")},
      {"401", error_response("A token is needed")},
      {"413", error_response("The body is over the server's --max-upload limit (a JSON body, "
                             "or a form's text part, over 64 MiB)")},
      {"415", error_response("An uploaded file is not of its part's type (named: song, "
                             "lyrics, images[N])")},
      {"429", error_response("The queue is full (--queue); Retry-After says when to retry")},
      {"507", error_response("The upload could not be stored in the data folder")}};
  paths["/api/jobs"]["post"] = {{"summary",
                                 "Queue a make job from a story given as text, or re-compose an "
                                 "edited cue sheet (the cues.json of an earlier job, with a "
                                 "section's valence, arousal, tension or boundaries changed): "
                                 "same seed, same cue sheet -> the same score.mid. Or, as a "
                                 "form, upload a song (+ lyrics, pictures): an mv job, its "
                                 "music video; or a film (+ subtitles): a score job"},
                                {"requestBody", request_body},
                                {"responses", create_responses}};
  paths["/api/jobs"]["get"] = {
      {"summary", "List the jobs, oldest first"},
      {"responses",
       {{"200",
         {{"description", "The jobs"},
          {"content",
           {{"application/json",
             {{"schema",
               {{"type", "object"},
                {"properties",
                 {{"jobs",
                   {{"type", "array"},
                    {"items", {{"$ref", "#/components/schemas/Job"}}}}}}}}}}}}}}}}}};
  paths["/api/jobs/{id}"]["parameters"] = {id_parameter()};
  paths["/api/jobs/{id}"]["get"] = {{"summary", "One job: its state, stage progress and outputs"},
                                    {"responses",
                                     {{"200", job_response("The job")},
                                      {"400", error_response("Malformed id")},
                                      {"404", error_response("No such job")}}}};
  paths["/api/jobs/{id}"]["delete"] = {
      {"summary", "Delete a job that is not running, with its files"},
      {"responses",
       {{"204", {{"description", "Deleted"}}},
        {"400", error_response("Malformed id")},
        {"404", error_response("No such job")},
        {"409", error_response("The job is running: cancel it first")}}}};
  paths["/api/jobs/{id}/cancel"]["parameters"] = {id_parameter()};
  paths["/api/jobs/{id}/cancel"]["post"] = {
      {"summary", "Cancel this job only (no other job is touched)"},
      {"responses",
       {{"200", job_response("It was queued and is now cancelled")},
        {"202", job_response("It is running; it stops at its next check and ends cancelled")},
        {"400", error_response("Malformed id")},
        {"404", error_response("No such job")},
        {"409", error_response("The job is already done, failed or cancelled")}}}};
  paths["/api/jobs/{id}/files/{name}"]["parameters"] = {
      id_parameter(),
      {{"name", "name"},
       {"in", "path"},
       {"required", true},
       {"description",
        "One of the job's outputs (score.mid, score.wav, video.mp4, cues.json, report.json, "
        "stems/GROUP.wav, ...): letters, digits, '.', '_', '-', '/', at most 255 characters"},
       {"schema", {{"type", "string"}}}}};
  paths["/api/jobs/{id}/files/{name}"]["get"] = {
      {"summary", "Download one output of a finished job"},
      {"responses",
       {{"200",
         {{"description",
           "The file's bytes, typed by its extension; ETag is the SHA-256 of the bytes (outputs "
           "are stored by content: the same bytes have the same ETag in any job)"}}},
        {"304", {{"description", "If-None-Match named the file's ETag: the client has it"}}},
        {"400", error_response("Malformed id or file name ('..', absolute, NUL, too long)")},
        {"404", error_response("No such job, or not one of its outputs")}}}};
  paths["/api/jobs/{id}/events"]["parameters"] = {id_parameter()};
  paths["/api/jobs/{id}/events"]["get"] = {
      {"summary",
       "Server-sent events: 'job' with the job's JSON whenever it changes (stage, progress, "
       "state), then 'end' with its final state"},
      {"responses",
       {{"200",
         {{"description", "An event stream that ends once the job is done, failed or cancelled"},
          {"content", {{"text/event-stream", {{"schema", {{"type", "string"}}}}}}}}},
        {"400", error_response("Malformed id")},
        {"404", error_response("No such job")}}}};
  // Live sessions (server/live_sessions.h).
  nlohmann::json live_request = {{"type", "object"}, {"additionalProperties", false}};
  live_request["properties"]["style"] = {
      {"type", "string"}, {"description", "default, piano, strings, chiptune or ambient"}};
  live_request["properties"]["seed"] = {{"type", "integer"}, {"minimum", 0}};
  live_request["properties"]["valence"] = {{"type", "number"}, {"minimum", -1}, {"maximum", 1}};
  live_request["properties"]["arousal"] = {{"type", "number"}, {"minimum", -1}, {"maximum", 1}};
  live_request["properties"]["tension"] = {{"type", "number"}, {"minimum", 0}, {"maximum", 1}};
  schemas["LiveRequest"] = live_request;
  nlohmann::json live = {{"type", "object"}};
  for (const char* field : {"id", "style", "format", "stream", "commands"})
    live["properties"][field] = {{"type", "string"}};
  for (const char* field : {"seed", "sample_rate", "channels", "changes", "hits"})
    live["properties"][field] = {{"type", "integer"}};
  for (const char* field : {"seconds", "valence", "arousal", "tension"})
    live["properties"][field] = {{"type", "number"}};
  for (const char* field : {"finished", "streaming"})
    live["properties"][field] = {{"type", "boolean"}};
  schemas["LiveSession"] = live;
  const auto live_response = [](const std::string& description) {
    return nlohmann::json{
        {"description", description},
        {"content",
         {{"application/json", {{"schema", {{"$ref", "#/components/schemas/LiveSession"}}}}}}}};
  };
  nlohmann::json live_id = id_parameter();
  live_id["description"] = "The live session's id: 32 lowercase hex digits";
  paths["/api/live"]["post"] = {
      {"summary",
       "Start a live session: the live engine composing as it plays, from the emotion the "
       "commands give (at most 4 sessions; one closes after 60 s with no stream and no command)"},
      {"requestBody",
       {{"required", false},
        {"content",
         {{"application/json", {{"schema", {{"$ref", "#/components/schemas/LiveRequest"}}}}}}}}},
      {"responses",
       {{"201", live_response("Started; stream its audio from `stream`, move it with `commands`")},
        {"400", error_response("Invalid options (the field is named)")},
        {"503", error_response("Too many live sessions (Retry-After)")}}}};
  paths["/api/live"]["get"] = {
      {"summary", "The open live sessions"},
      {"responses", {{"200", {{"description", "{\"sessions\": [...]}"}}}}}};
  paths["/api/live/{id}"]["parameters"] = {live_id};
  paths["/api/live/{id}"]["get"] = {
      {"summary", "A live session: music rendered so far, changes and hits made, the emotion"},
      {"responses",
       {{"200", live_response("The session")},
        {"400", error_response("Malformed id")},
        {"404", error_response("No such session")}}}};
  paths["/api/live/{id}"]["delete"] = {{"summary", "Close a live session (its stream ends)"},
                                       {"responses",
                                        {{"204", {{"description", "Closed"}}},
                                         {"400", error_response("Malformed id")},
                                         {"404", error_response("No such session")}}}};
  paths["/api/live/{id}/stream"]["parameters"] = {live_id};
  paths["/api/live/{id}/stream"]["get"] = {
      {"summary",
       "The session's audio as it is composed: raw interleaved signed 16-bit little-endian "
       "stereo at sample_rate, chunked, paced at real time (0.25 s ahead); it ends when the "
       "music has finished or the session is closed. One reader at a time"},
      {"responses",
       {{"200",
         {{"description", "PCM"},
          {"content",
           {{"application/octet-stream",
             {{"schema", {{"type", "string"}, {"format", "binary"}}}}}}}}},
        {"404", error_response("No such session")},
        {"409", error_response("Already being streamed")}}}};
  paths["/api/live/{id}/commands"]["parameters"] = {live_id};
  paths["/api/live/{id}/commands"]["post"] = {
      {"summary",
       "One command, as tonepoem live reads them: {\"valence\", \"arousal\", \"tension\", "
       "\"at\": beat|bar|phrase}, {\"hit\": KIND}, {\"character\": NAME}, {\"stop\": "
       "true|\"now\"}"},
      {"requestBody",
       {{"required", true},
        {"content", {{"application/json", {{"schema", {{"type", "object"}}}}}}}}},
      {"responses",
       {{"202", live_response("Taken: it plays from the next beat, bar or phrase")},
        {"400", error_response("Not a command (the field is named)")},
        {"404", error_response("No such session")},
        {"409", error_response("The music was stopped")},
        {"429", error_response("256 commands waiting: retry")}}}};
  paths["/"]["get"] = {
      {"summary",
       "The studio page (HTML, with its script and style under /studio/): paste a story, watch the "
       "stages, edit the arc, re-compose, listen and download"},
      {"responses", {{"200", {{"description", "text/html"}}}}}};
  paths["/studio/{name}"]["get"] = {
      {"summary", "A file of the studio page (studio.js, chart.js, i18n.js, studio.css)"},
      {"parameters",
       {{{"name", "name"}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}}}},
      {"responses",
       {{"200", {{"description", "The file"}}}, {"404", error_response("No such file")}}}};
  paths["/api/openapi.json"]["get"] = {
      {"summary", "This description"},
      {"responses", {{"200", {{"description", "OpenAPI 3.0 document"}}}}}};

  return {{"openapi", "3.0.3"},
          {"info",
           {{"title", "tonepoem"},
            {"version", "0.1.0"},
            {"description",
             "Turn a story into an emotion-matched score and music video. Every 4xx answer is an "
             "Error object; with tonepoem serve --token every request needs Authorization: "
             "Bearer TOKEN, or the cookie tonepoem_token holding TOKEN in base64url (the studio "
             "page's way; 401 otherwise). A body is at most --max-upload bytes (413); every "
             "route but POST /api/jobs reads its body whole, so it needs a Content-Length (411 "
             "for one sent in chunks) of at most 64 MiB."}}},
          {"components",
           {{"schemas", schemas},
            {"securitySchemes",
             {{"bearer", {{"type", "http"}, {"scheme", "bearer"}}},
              {"cookie", {{"type", "apiKey"}, {"in", "cookie"}, {"name", "tonepoem_token"}}}}}}},
          {"paths", paths}};
}

}  // namespace tonepoem
