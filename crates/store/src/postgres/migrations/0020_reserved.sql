-- Reserved: this version number belongs to a change made elsewhere; replaced by it on merge.
SELECT 1;
