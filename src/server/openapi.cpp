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
  p["kind"] = {{"type", "string"}, {"enum", {"make"}}};
  p["state"] = {{"type", "string"}, {"enum", {"queued", "running", "done", "failed", "cancelled"}}};
  p["options"] = {{"$ref", "#/components/schemas/MakeRequest"}};
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
  nlohmann::json create_responses = {
      {"201", job_response("Queued; Location names the job")},
      {"400", error_response("Not JSON, or an option is wrong: each problem names its field")},
      {"401", error_response("A token is needed")},
      {"413", error_response("The body is over the server's --max-upload limit")},
      {"429", error_response("The queue is full (--queue); Retry-After says when to retry")}};
  paths["/api/jobs"]["post"] = {{"summary",
                                 "Queue a make job from a story given as text, or re-compose an "
                                 "edited cue sheet (the cues.json of an earlier job, with a "
                                 "section's valence, arousal, tension or boundaries changed): "
                                 "same seed, same cue sheet -> the same score.mid"},
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
       {{"200", {{"description", "The file's bytes, typed by its extension"}}},
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
             "Bearer TOKEN (401 otherwise)."}}},
          {"components",
           {{"schemas", schemas},
            {"securitySchemes", {{"bearer", {{"type", "http"}, {"scheme", "bearer"}}}}}}},
          {"paths", paths}};
}

}  // namespace tonepoem
