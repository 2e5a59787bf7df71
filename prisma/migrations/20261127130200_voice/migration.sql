-- CreateTable
CREATE TABLE "voice_participants" (
    "id" UUID NOT NULL,
    "channel_id" UUID NOT NULL,
    "user_id" TEXT NOT NULL,
    "muted" BOOLEAN NOT NULL DEFAULT false,
    "deafened" BOOLEAN NOT NULL DEFAULT false,
    "speaking" BOOLEAN NOT NULL DEFAULT false,
    "joined_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_heartbeat_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "voice_participants_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "voice_participants_channel_id_joined_at_idx" ON "voice_participants"("channel_id", "joined_at");

-- CreateIndex
CREATE INDEX "voice_participants_last_heartbeat_at_idx" ON "voice_participants"("last_heartbeat_at");
