-- CreateIndex
CREATE INDEX "channels_visibility_id_idx" ON "channels"("visibility", "id");
