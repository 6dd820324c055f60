CREATE TABLE "café" ("naïve" TEXT, "名前" TEXT);
INSERT INTO "café" VALUES ('crème brûlée; 🍮', 'テスト');
-- 注释; 😀
CREATE INDEX "idx_名前" ON "café"("名前");
