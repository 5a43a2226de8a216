# Source: https://github.com/google-gemini/cookbook/blob/7d0b424b1f6a920d885a76ba91377d7ef3638c10/quickstarts/Get_started_Omni.ipynb
# Code cells deac925ed400, 12dc4e2f2642, 7t5VS6VV-JvF, fc5caa7f10f5, 74ed65033fc7 (cell ids), verbatim.
# Copyright Google LLC, licensed under the Apache License, Version 2.0; see README.md here.
# The test supplies: genai (whose Client gets the emulator's base URL), GEMINI_API_KEY (the emulator's key; the notebook reads it from Colab secrets), display and Video (record instead of displaying).
# Cell deac925ed400 also imports google.colab's userdata (not available): only its Client line runs.

# --- cell deac925ed400 ---
client = genai.Client(api_key=GEMINI_API_KEY)

# --- cell 12dc4e2f2642 ---
MODEL_ID = "gemini-omni-1.1-flash"  # @param ["gemini-omni-1.1-flash", "gemini-omni-flash-preview"] {"allow-input": true, "isTemplate": true}

# --- cell 7t5VS6VV-JvF ---
interaction = client.interactions.create(
    model=MODEL_ID,
    input="A golden retriever running joyfully through a field of wildflowers at sunset.",
    response_format={"type": "video"},  # Optionnal
)

# --- cell fc5caa7f10f5 ---
import json

# Trim 'data' and 'signature' fields across all steps and nested content parts
print(json.dumps([
    {**s.__dict__,
     **{k: v[:70] + '... (trimmed)' for k, v in s.__dict__.items() if k in ['data', 'signature'] and isinstance(v, str) and len(v) > 100},
     'content': [{**c.__dict__,
                  **{k: v[:70] + '... (trimmed)' for k, v in c.__dict__.items() if k == 'data' and isinstance(v, str) and len(v) > 100}}
                 for c in getattr(s, 'content', []) or []]}
    for s in interaction.steps
], indent=2))

# --- cell 74ed65033fc7 ---
# Access the generated video directly without inspecting steps
video_part = interaction.output_video
print(video_part.mime_type)  # e.g., 'video/mp4'
display(Video(data=video_part.data, embed=True, mimetype=video_part.mime_type))
