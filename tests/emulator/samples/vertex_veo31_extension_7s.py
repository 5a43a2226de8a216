# Source: https://github.com/GoogleCloudPlatform/generative-ai/blob/23b75dab2c25248f352d4c39e3c5984398b4b448/vision/getting-started/veo3_advanced_controls.ipynb
# Code cells 12, 16, 27, verbatim (cell numbers count all cells from 0).
# Copyright Google LLC, licensed under the Apache License, Version 2.0; see README.md here.
# The test supplies: genai (whose Client gets the emulator's credentials and base URL), types, time (sleeps shortened), show_video (records the video instead of displaying it), image files the wget cells download.

# --- cell 12 ---
PROJECT_ID = "[your-project-id]"  # @param {type: "string", placeholder: "[your-project-id]", isTemplate: true}
if not PROJECT_ID or PROJECT_ID == "[your-project-id]":
    PROJECT_ID = str(os.environ.get("GOOGLE_CLOUD_PROJECT"))
LOCATION = os.environ.get("GOOGLE_CLOUD_REGION", "us-central1")
client = genai.Client(enterprise=True, project=PROJECT_ID, location=LOCATION)

# --- cell 16 ---
video_model = "veo-3.1-generate-001"
video_extension_model = "veo-3.1-generate-preview"

# --- cell 27 ---
prompt = "a butterfly flies in and lands on the flower"  # @param {type: 'string'}
# fmt: off
video_gcs = "gs://cloud-samples-data/generative-ai/video/red-flower.mp4"  # @param {type: 'string'}
# fmt: on
output_gcs = "gs://[your-bucket-path]"  # @param {type: 'string'}

operation = client.models.generate_videos(
    model=video_extension_model,
    prompt=prompt,
    video=types.Video(uri=video_gcs, mime_type="video/mp4"),
    config=types.GenerateVideosConfig(
        output_gcs_uri=output_gcs,
        number_of_videos=1,
        duration_seconds=7,
        person_generation="allow_adult",
        generate_audio=True,
    ),
)

while not operation.done:
    time.sleep(5)
    operation = client.operations.get(operation)
    print(operation)

if operation.response:
    show_video(operation.result.generated_videos[0].video.uri)
