# Source: https://github.com/GoogleCloudPlatform/generative-ai/blob/23b75dab2c25248f352d4c39e3c5984398b4b448/vision/getting-started/veo3_video_generation.ipynb
# Code cells 11, 15, 25, verbatim (cell numbers count all cells from 0).
# Copyright Google LLC, licensed under the Apache License, Version 2.0; see README.md here.
# The test supplies: genai (whose Client gets the emulator's credentials and base URL), types, time (sleeps shortened), show_video (records the video instead of displaying it), image files the wget cells download.

# --- cell 11 ---
PROJECT_ID = "[your-project-id]"  # @param {type: "string", placeholder: "[your-project-id]", isTemplate: true}
if not PROJECT_ID or PROJECT_ID == "[your-project-id]":
    PROJECT_ID = str(os.environ.get("GOOGLE_CLOUD_PROJECT"))
LOCATION = os.environ.get("GOOGLE_CLOUD_REGION", "us-central1")
client = genai.Client(enterprise=True, project=PROJECT_ID, location=LOCATION)

# --- cell 15 ---
video_model = "veo-3.1-generate-001"
video_model_fast = "veo-3.1-fast-generate-001"
video_model_lite = "veo-3.1-lite-generate-001"
gemini_model = "gemini-3.6-flash"

# --- cell 25 ---
# fmt: off
prompt = "sculpting a bowl on a pottery wheel while the person sculpting remarks: wow, I love this one"  # @param {type: 'string'}
# fmt: on
output_gcs = "gs://[your-bucket-path]"  # @param {type: 'string'}


operation = client.models.generate_videos(
    model=video_model_fast,
    prompt=prompt,
    config=types.GenerateVideosConfig(
        aspect_ratio="9:16",
        output_gcs_uri=output_gcs,
        number_of_videos=1,
        duration_seconds=8,
        resolution="720p",
        person_generation="allow_adult",
        generate_audio=True,
    ),
)

while not operation.done:
    time.sleep(15)
    operation = client.operations.get(operation)
    print(operation)

if operation.response:
    show_video(operation.result.generated_videos[0].video.uri)
