CREATE VIRTUAL TABLE boxes USING rtree(id, minx, maxx);
