-- AlterTable
ALTER TABLE "messages" ADD COLUMN     "pinned_at" TIMESTAMPTZ(3),
ADD COLUMN     "pinned_by_id" TEXT;

-- CreateTable
CREATE TABLE "message_edits" (
    "id" UUID NOT NULL,
    "message_id" UUID NOT NULL,
    "body" TEXT NOT NULL,
    "edited_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "message_edits_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "reactions" (
    "message_id" UUID NOT NULL,
    "user_id" TEXT NOT NULL,
    "emoji" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "reactions_pkey" PRIMARY KEY ("message_id","user_id","emoji")
);

-- CreateTable
CREATE TABLE "read_markers" (
    "user_id" TEXT NOT NULL,
    "channel_id" UUID NOT NULL,
    "last_read_seq" BIGINT NOT NULL,
    "last_read_message_id" UUID NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "read_markers_pkey" PRIMARY KEY ("user_id","channel_id")
);

-- CreateIndex
CREATE INDEX "messages_channel_id_pinned_at_idx" ON "messages"("channel_id", "pinned_at");

-- CreateIndex
CREATE INDEX "message_edits_message_id_edited_at_idx" ON "message_edits"("message_id", "edited_at");

-- CreateIndex
CREATE INDEX "reactions_message_id_emoji_created_at_idx" ON "reactions"("message_id", "emoji", "created_at");

-- AddForeignKey
ALTER TABLE "message_edits" ADD CONSTRAINT "message_edits_message_id_fkey" FOREIGN KEY ("message_id") REFERENCES "messages"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "reactions" ADD CONSTRAINT "reactions_message_id_fkey" FOREIGN KEY ("message_id") REFERENCES "messages"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AlterTable (hand-written: Prisma cannot declare a generated column; schema.prisma declares it
-- as Unsupported("tsvector"), and tests/testkit/schema-drift.ts knows its expression)
ALTER TABLE "messages" ADD COLUMN     "search_vector" tsvector GENERATED ALWAYS AS (to_tsvector('english', "body")) STORED;

-- CreateIndex
CREATE INDEX "messages_search_vector_idx" ON "messages" USING GIN ("search_vector");
