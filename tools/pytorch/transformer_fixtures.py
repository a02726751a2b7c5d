#!/usr/bin/env python3
"""PyTorch fixtures for the transformer stack (SPEC §4), checked by tests/reference/transformerPytorch.test.ts.

Each case builds the model from PyTorch's own modules in float64: nn.Embedding (LM) or nn.Linear (ICL) inputs,
the sinusoidal table of the PyTorch word-language-model tutorial or a learned nn.Parameter, nn.TransformerEncoder
over nn.TransformerEncoderLayer(batch_first=True, norm_first for 'pre'; dropout: see below) with a final
nn.LayerNorm for 'pre', the tutorial's causal mask (nn.Transformer.generate_square_subsequent_mask), an nn.Linear
decoder (tied: decoder.weight is embedding.weight) or an nn.Linear(dModel, 1) ICL readout. It draws parameters (PyTorch's init
plus noise, so that biases and LayerNorm parameters matter), then writes tests/fixtures/transformer/<case>.json:

  params       SPEC §4 params file {"model": "transformer", "config": {...}, "params": {...}}
  batch        SPEC §4 batch ({"tokens"} or {"prompts"})
  lossGrads    {"loss", "grads"}: the batch-mean loss and loss.backward()'s gradients
  attention    per layer, [B][nHeads][T][T] softmax probabilities (self_attn with need_weights=True,
               average_attn_weights=False, on the layer's attention input)
  training     {"optimizer", "steps", "losses", "gradNorms", "params"}: `steps` steps of torch.optim.SGD (momentum)
               or torch.optim.AdamW with two parameter groups (ffn: every linear1/linear2 weight and bias; rest),
               torch.nn.utils.clip_grad_norm_ before each step; losses and total gradient norms before each step,
               and the params after the last one

Generated with Debian's python3-torch 1.13.1+dfsg-4 (torch.__version__ reports 1.13.0a0), CPU, float64.
Regenerate (needs only python3 and python3-torch, e.g. `apt-get install -y python3-torch`):

    python3 tools/pytorch/transformer_fixtures.py          # from the repository root

Dropout: PyTorch draws its masks from its own generator, so cases with "dropout" {p, seed, step} replace every
dropout PyTorch applies by one with docs/transformer.md's counter-hash mask (mix32, dropoutKey, dropoutKeep, ported
below): the tutorial's positional-encoding dropout (site 0), F.dropout on the attention probabilities inside
F.multi_head_attention_forward (site 1, index ((b·nHeads + h)·T + t)·T + s of its [B·nHeads][T][T] weights), and
each layer's dropout1 (site 2), dropout (site 3, FFN hidden) and dropout2 (site 4). lossGrads uses `step`, training
step s uses s. This checks that the reference's five sites and indices are where PyTorch's dropouts act.
"""

import contextlib
import json
import math
import os

import torch
from torch import nn

torch.set_default_dtype(torch.float64)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'tests', 'fixtures', 'transformer')
LAYER_NAMES = {
    'W_qkv': 'self_attn.in_proj_weight', 'b_qkv': 'self_attn.in_proj_bias',
    'W_o': 'self_attn.out_proj.weight', 'b_o': 'self_attn.out_proj.bias',
    'ln1.g': 'norm1.weight', 'ln1.b': 'norm1.bias',
    'W_1': 'linear1.weight', 'b_1': 'linear1.bias', 'W_2': 'linear2.weight', 'b_2': 'linear2.bias',
    'ln2.g': 'norm2.weight', 'ln2.b': 'norm2.bias',
}


M32 = 0xFFFFFFFF


def mix32(v):
    """lowbias32, as src/util/random.ts."""
    x = v & M32
    x ^= x >> 16
    x = (x * 0x7FEB352D) & M32
    x ^= x >> 15
    x = (x * 0x846CA68B) & M32
    return x ^ (x >> 16)


def dropout_key(seed, step, layer, site):
    return mix32(mix32(mix32(mix32(seed) + step) + layer) + site)


class CounterMasks:
    """Inverted-dropout multipliers keep/(1 − p) by (layer, site) for the current step, as docs/transformer.md."""

    def __init__(self, p, seed):
        self.p, self.seed, self.step, self.layer = p, seed, 0, 0

    def __call__(self, layer, site, shape):
        key = dropout_key(self.seed, self.step, layer, site)
        threshold = math.floor(self.p * 2**24 + 0.5)  # JavaScript's Math.round
        size = math.prod(shape)
        keep = [mix32(key + (((i + 1) * 0x9E3779B9) & M32)) >> 8 >= threshold for i in range(size)]
        return (torch.tensor(keep, dtype=torch.float64) / (1 - self.p)).reshape(shape)


class CounterDropout(nn.Module):
    """Stands in for one of a layer's nn.Dropout modules."""

    def __init__(self, masks, layer, site):
        super().__init__()
        self.masks, self.layer, self.site = masks, layer, site

    def forward(self, x):
        return x * self.masks(self.layer, self.site, x.shape) if self.training else x


def tutorial_positions(T, d):
    """The word-language-model tutorial's PositionalEncoding table (its cos slice cut to fit an odd d)."""
    position = torch.arange(T).unsqueeze(1)
    div_term = torch.exp(torch.arange(0, d, 2) * (-math.log(10000.0) / d))
    pe = torch.zeros(T, d)
    pe[:, 0::2] = torch.sin(position * div_term)
    pe[:, 1::2] = torch.cos(position * div_term[: d // 2])
    return pe


class Model(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        d = c['dModel']
        self.masks = CounterMasks(c['dropout']['p'], c['dropout']['seed']) if c.get('dropout') else None
        if c['head'] == 'lm':
            self.embedding = nn.Embedding(c['V'], d)
        else:
            self.input = nn.Linear(c['dIn'], d)
        if c['posEncoding'] == 'learned':
            self.pos = nn.Parameter(torch.randn(c['T'], d))
        layer = nn.TransformerEncoderLayer(
            d, c['nHeads'], dim_feedforward=c['dFF'], dropout=self.masks.p if self.masks else 0.0,
            activation=c['activation'], batch_first=True, norm_first=c['norm'] == 'pre')
        final = nn.LayerNorm(d) if c['norm'] == 'pre' else None
        self.encoder = nn.TransformerEncoder(layer, c['nLayers'], norm=final, enable_nested_tensor=False)
        if self.masks:
            for l, each in enumerate(self.encoder.layers):
                each.dropout1 = CounterDropout(self.masks, l, 2)
                each.dropout = CounterDropout(self.masks, l, 3)
                each.dropout2 = CounterDropout(self.masks, l, 4)
                each.self_attn.register_forward_pre_hook(lambda module, args, l=l: setattr(self.masks, 'layer', l))
        if c['head'] == 'lm':
            self.decoder = nn.Linear(d, c['V'])
            if c['tie']:
                self.decoder.weight = self.embedding.weight
        else:
            self.readout = nn.Linear(d, 1)

    def named_tensors(self):
        """SPEC §4 name -> the nn.Parameter holding it."""
        c = self.c
        out = {}
        if c['head'] == 'lm':
            out['embed'] = self.embedding.weight
        else:
            out['W_in'], out['b_in'] = self.input.weight, self.input.bias
        if c['posEncoding'] == 'learned':
            out['pos'] = self.pos
        for l, layer in enumerate(self.encoder.layers):
            params = dict(layer.named_parameters())
            for ours, theirs in LAYER_NAMES.items():
                out[f'layers.{l}.{ours}'] = params[theirs]
        if c['norm'] == 'pre':
            out['lnf.g'], out['lnf.b'] = self.encoder.norm.weight, self.encoder.norm.bias
        if c['head'] == 'lm':
            if not c['tie']:
                out['W_dec'] = self.decoder.weight
            out['b_dec'] = self.decoder.bias
        else:
            out['w_out'], out['b_out'] = self.readout.weight, self.readout.bias
        return out

    def embed_inputs(self, inputs):
        c = self.c
        T = inputs.shape[1]
        if c['head'] == 'lm':
            x = self.embedding(inputs)
            if c['scaleEmbed']:
                x = x * math.sqrt(c['dModel'])
        else:
            x = self.input(inputs)
        if c['posEncoding'] == 'sinusoidal':
            x = x + tutorial_positions(T, c['dModel'])
        elif c['posEncoding'] == 'learned':
            x = x + self.pos
        if self.masks and self.training:
            x = x * self.masks(0, 0, x.shape)
        return x

    def mask(self, T):
        return nn.Transformer.generate_square_subsequent_mask(T) if self.c['causal'] else None

    def loss(self, batch):
        c = self.c
        if c['head'] == 'lm':
            tokens = torch.tensor(batch['tokens'])
            x = self.encoder(self.embed_inputs(tokens[:, :-1]), mask=self.mask(tokens.shape[1] - 1))
            logits = self.decoder(x)
            return nn.functional.cross_entropy(logits.reshape(-1, c['V']), tokens[:, 1:].reshape(-1))
        inputs = torch.tensor([p['P'] for p in batch['prompts']])
        z = torch.tensor([float(p['z']) for p in batch['prompts']])
        x = self.encoder(self.embed_inputs(inputs), mask=self.mask(inputs.shape[1]))
        F = self.readout(x[:, -1]).squeeze(-1)
        # relu, not clamp: clamp's gradient at exactly 1 − zF = 0 is 1, SPEC's is 0
        return torch.relu(1 - z * F).mean()

    @torch.no_grad()
    def attention(self, batch):
        """Per layer [B][nHeads][T][T] before the probabilities' dropout, running the layers one by one as
        TransformerEncoder does (with every dropout, so that later layers see what training sees)."""
        if self.c['head'] == 'lm':
            inputs = torch.tensor(batch['tokens'])[:, :-1]
        else:
            inputs = torch.tensor([p['P'] for p in batch['prompts']])
        x = self.embed_inputs(inputs)
        mask = self.mask(x.shape[1])
        probs = []
        for layer in self.encoder.layers:
            attn_in = layer.norm1(x) if self.c['norm'] == 'pre' else x
            p, layer.self_attn.dropout = layer.self_attn.dropout, 0.0
            _, weights = layer.self_attn(attn_in, attn_in, attn_in, attn_mask=mask, need_weights=True, average_attn_weights=False)
            layer.self_attn.dropout = p
            probs.append(weights)
            x = layer(x, src_mask=mask)
        return probs


def nested(name, t):
    """Nested lists in SPEC §4's shape: w_out is readout.weight's only row."""
    t = t.detach()
    return (t.reshape(-1) if name == 'w_out' else t).tolist()


def make_batch(c, gen):
    B, T = c['B'], c['T']
    if c['head'] == 'lm':
        return {'tokens': torch.randint(0, c['V'], (B, T + 1), generator=gen).tolist()}
    # SPEC §1-like prompts: context rows [x ; y·e_1], the query [x ; 0]
    dX = c['dIn'] - 2
    prompts = []
    for _ in range(B):
        x = torch.randn(T, dX, generator=gen)
        y = torch.randint(0, 2, (T,), generator=gen) * 2 - 1
        label = torch.zeros(T, 2)
        label[:-1, 0] = y[:-1].to(torch.float64)
        prompts.append({'P': torch.cat([x, label], 1).tolist(), 'z': int(y[-1])})
    return {'prompts': prompts}


@contextlib.contextmanager
def counter_attention_dropout(masks):
    """F.multi_head_attention_forward looks F.dropout up when it runs; every other dropout is a CounterDropout, so
    only the attention probabilities [B·nHeads][T][T] of the layer whose self_attn is running reach this."""
    original = nn.functional.dropout

    def attention_dropout(x, p=0.5, training=True, inplace=False):
        assert p == masks.p and x.dim() == 3, 'only attention probabilities reach F.dropout'
        return x * masks(masks.layer, 1, x.shape)

    nn.functional.dropout = attention_dropout
    try:
        yield
    finally:
        nn.functional.dropout = original


def run_case(c):
    torch.manual_seed(c['seed'])
    gen = torch.Generator().manual_seed(c['seed'])
    model = Model(c)
    tensors = model.named_tensors()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.2 * torch.randn(p.shape, generator=gen))
    config = {k: c[k] for k in ['nHeads', 'norm', 'activation', 'causal', 'posEncoding', 'scaleEmbed', 'tie', 'head']}
    params = {'model': 'transformer', 'config': config, 'params': {n: nested(n, t) for n, t in tensors.items()}}
    batch = make_batch(c, gen)
    with counter_attention_dropout(model.masks) if model.masks else contextlib.nullcontext():
        measured = measure(c, model, tensors, batch)
    return {
        'torch': torch.__version__, 'case': c['name'], 'params': params, 'batch': batch, 'dropout': c.get('dropout'),
        **measured,
    }


def measure(c, model, tensors, batch):
    """Loss, gradients and attention, then the optimizer steps (which change the parameters)."""
    model.train()
    if model.masks:
        model.masks.step = c['dropout']['step']
    loss = model.loss(batch)
    model.zero_grad()
    loss.backward()
    loss_grads = {'loss': loss.item(), 'grads': {n: nested(n, t.grad) for n, t in tensors.items()}}
    attention = [a.tolist() for a in model.attention(batch)]

    o = c['optimizer']
    ffn = [t for n, t in tensors.items() if n.split('.')[-1] in ('W_1', 'b_1', 'W_2', 'b_2')]
    rest = [t for n, t in tensors.items() if n.split('.')[-1] not in ('W_1', 'b_1', 'W_2', 'b_2')]
    groups = [{'params': ffn, 'lr': o['lrFfn']}, {'params': rest, 'lr': o['lrRest']}]
    if o['kind'] == 'sgd':
        optimizer = torch.optim.SGD(groups, lr=o['lrRest'], momentum=o['momentum'])
    else:
        optimizer = torch.optim.AdamW(groups, lr=o['lrRest'], betas=(o['beta1'], o['beta2']), eps=1e-8, weight_decay=o['weightDecay'])
    losses, norms = [], []
    for step in range(c['steps']):
        if model.masks:
            model.masks.step = step
        optimizer.zero_grad()
        loss = model.loss(batch)
        loss.backward()
        # the norm is measured whether or not it is used; clip_grad_norm_ with max_norm = inf leaves the gradients as they are
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), o['clip'] if o['clip'] > 0 else math.inf)
        losses.append(loss.item())
        norms.append(norm.item())
        optimizer.step()
    training = {
        'optimizer': o, 'steps': c['steps'], 'losses': losses, 'gradNorms': norms,
        'params': {n: nested(n, t) for n, t in tensors.items()},
    }
    return {'lossGrads': loss_grads, 'attention': attention, 'training': training}


BASE = {'norm': 'post', 'activation': 'relu', 'causal': False, 'posEncoding': 'none', 'scaleEmbed': False, 'tie': False}
SGD = {'kind': 'sgd', 'lrFfn': 0.3, 'lrRest': 0.1, 'momentum': 0.9, 'clip': 0.5}
ADAMW = {'kind': 'adamw', 'lrFfn': 0.02, 'lrRest': 0.01, 'beta1': 0.9, 'beta2': 0.999, 'weightDecay': 0.1, 'clip': 1.0}
TIAN_SGD = {'kind': 'sgd', 'lrFfn': 1.0, 'lrRest': 0.5, 'momentum': 0.0, 'clip': 0.5}

CASES = [
    dict(BASE, name='lm-post-relu-full', head='lm', nHeads=1, V=7, dModel=5, dFF=8, nLayers=1, B=2, T=4,
         optimizer=SGD, steps=3, seed=1),
    dict(BASE, name='lm-pre-gelu-causal-sinusoidal-tied-scaled', head='lm', norm='pre', activation='gelu', causal=True,
         posEncoding='sinusoidal', tie=True, scaleEmbed=True, nHeads=3, V=11, dModel=6, dFF=10, nLayers=3, B=2, T=5,
         optimizer=ADAMW, steps=3, seed=2),
    dict(BASE, name='lm-post-gelu-causal-learned', head='lm', activation='gelu', causal=True, posEncoding='learned',
         nHeads=2, V=9, dModel=6, dFF=7, nLayers=2, B=3, T=4, optimizer=TIAN_SGD, steps=3, seed=3),
    dict(BASE, name='lm-post-relu-sinusoidal-odd-scaled', head='lm', posEncoding='sinusoidal', scaleEmbed=True,
         nHeads=3, V=5, dModel=9, dFF=6, nLayers=2, B=2, T=3, optimizer=ADAMW, steps=2, seed=4),
    dict(BASE, name='icl-post-relu-full', head='icl', nHeads=1, dIn=6, dModel=5, dFF=8, nLayers=1, B=4, T=4,
         optimizer=SGD, steps=3, seed=5),
    dict(BASE, name='icl-pre-gelu-causal-learned', head='icl', norm='pre', activation='gelu', causal=True,
         posEncoding='learned', nHeads=3, dIn=5, dModel=6, dFF=6, nLayers=3, B=3, T=4, optimizer=ADAMW, steps=3, seed=6),
    dict(BASE, name='icl-pre-relu-sinusoidal', head='icl', norm='pre', posEncoding='sinusoidal', nHeads=2, dIn=4,
         dModel=6, dFF=5, nLayers=2, B=3, T=5, optimizer=SGD, steps=2, seed=7),
    dict(BASE, name='lm-pre-gelu-causal-learned-dropout', head='lm', norm='pre', activation='gelu', causal=True,
         posEncoding='learned', nHeads=3, V=7, dModel=6, dFF=7, nLayers=2, B=2, T=4, optimizer=ADAMW, steps=3, seed=8,
         dropout={'p': 0.2, 'seed': 12345, 'step': 4}),
    dict(BASE, name='icl-post-relu-sinusoidal-dropout', head='icl', posEncoding='sinusoidal', nHeads=1, dIn=5, dModel=5,
         dFF=6, nLayers=2, B=3, T=4, optimizer=SGD, steps=2, seed=9, dropout={'p': 0.3, 'seed': 7, 'step': 0}),
]


def main():
    os.makedirs(OUT, exist_ok=True)
    for c in CASES:
        path = os.path.join(OUT, f"{c['name']}.json")
        with open(path, 'w') as f:
            json.dump(run_case(c), f, separators=(',', ':'))
            f.write('\n')
        print(f'{os.path.relpath(path)}: {os.path.getsize(path)} bytes')


if __name__ == '__main__':
    main()
