r"""Titles, topics and explanations of the catalogue networks.

Kept apart from the programs (in `programs/`) so each side stays readable:
the code as plain PyTorch, the prose as Markdown with LaTeX maths, in the
form Streamlit's `st.markdown` renders (`$...$` inline, `
$$
...
$$
` display).
Entries are listed in teaching order, topic by topic.
"""

from __future__ import annotations

TOPIC_TITLES: tuple[tuple[str, str], ...] = (
    ("basics", "Basics: leaves, grad_fn and backward"),
    ("vjp", "Vector-Jacobian products and gradient="),
    ("higher-order", "Higher-order gradients"),
    ("accumulation", "Gradient accumulation"),
    ("two-layer", "Two-layer networks"),
    ("diagnosis", "Why isn't it learning?"),
    ("real-models", "Real models"),
)

METADATA: tuple[dict[str, str], ...] = (
    dict(
        slug="add_one",
        title="Adding one: where grad_fn comes from",
        topic="basics",
        seed="001",
        explanation=r"""
A tensor made with `requires_grad=True` is a **leaf**: autograd watches every operation applied to it.
Adding one,
$$
y = x + 1,
$$
gives a tensor whose `grad_fn` is an `AddBackward0` node, the piece of the graph that knows how to send
gradients back to `x`. Summing into a scalar $s = \sum_{ij} y_{ij}$ and calling `backward()` fills `x.grad`
with $\partial s / \partial x_{ij} = 1$ everywhere. (The notebook stops after printing `grad_fn`; the sum is
added so every box in the figure gets a gradient.)
""",
    ),
    dict(
        slug="requires_grad_flag",
        title="Switching tracking on with requires_grad_()",
        topic="basics",
        seed="001",
        explanation=r"""
Factories such as `torch.randn` return untracked tensors, so computing $a \mapsto 3a/(a-1)$ leaves no trace
in the graph. `requires_grad_(True)` turns tracking on **in place**: from then on `a` is a leaf, and
$b = a + 1$ is recorded as an `AddBackward0` node. For $s = \sum_{ij} b_{ij}$ every entry of `a.grad` is
$\partial s / \partial a_{ij} = 1$. The notebook draws unseeded random numbers; `torch.manual_seed(0)` makes
every run here show the same values.
""",
    ),
    dict(
        slug="sum_of_squares",
        title="A scalar loss from a vector: (a**2).sum()",
        topic="basics",
        seed="002",
        explanation=r"""
The smallest useful loss: one number computed from a vector. For $a = (1, 2, 3)$,
$$
c = \sum_i a_i^2, \qquad \frac{\partial c}{\partial a_i} = 2a_i,
$$
so `a.grad` is $(2, 4, 6)$. Since $c$ is a single number, `c.backward()` takes no argument: backward starts
from $\partial c / \partial c = 1$.
""",
    ),
    dict(
        slug="mean_of_square",
        title="Mean of 3(x + 2)²",
        topic="basics",
        seed="001",
        explanation=r"""
All four entries of $X$ are 1. With $Y = X + 2$ and $Z = 3\,Y \odot Y$, the output averages the entries:
$$
\text{out} = \frac14 \sum_{i=1}^{4} 3(x_i + 2)^2 = 27.
$$
Each $x_i$ appears in exactly one term, so the Jacobian of $Z$ with respect to $X$ is diagonal and
$$
\frac{\partial\,\text{out}}{\partial x_i} = \frac{6(x_i + 2)}{4} = 4.5.
$$
Read the figure from `out` downwards: `MeanBackward0` hands $\tfrac14$ to every entry, multiplying by 3
gives $\tfrac34$, and `y * y` sends $\tfrac34 y$ along both of its edges, which meet again at $Y$.
""",
    ),
    dict(
        slug="two_inputs",
        title="Two leaves feeding one sum: x + x2",
        topic="basics",
        seed="000",
        explanation=r"""
Two leaves meet in an addition: $Y = X + X_2$ with $X$ all ones and
$X_2 = \begin{pmatrix} 1 & 2 \\ 3 & 1 \end{pmatrix}$, then $Z = 3\,Y \odot Y$ and
$\text{out} = \tfrac14 \sum Z = 24.75$. Addition passes its gradient on unchanged to **both** inputs, so
the two leaves receive the same gradient:
$$
\frac{\partial\,\text{out}}{\partial X} = \frac{\partial\,\text{out}}{\partial X_2} = \frac{6Y}{4}
= \begin{pmatrix} 3 & 4.5 \\ 6 & 3 \end{pmatrix}.
$$
$Y$ is an intermediate result, not a leaf: PyTorch frees its gradient once used, so `y.grad` would be
`None` (and `y.requires_grad_()` would not change that). The explorer records it anyway; see the
`AddBackward0` box.
""",
    ),
    dict(
        slug="affine_mean",
        title="Scalar weights and a constant bias: mean of (x·w1 + b)·w2",
        topic="basics",
        seed="002",
        explanation=r"""
A chain with two scalar weights and a constant: $l_1 = w_1 x$, $l_2 = l_1 + b$, $l_3 = w_2 l_2$ and
$y = \frac15 \sum_i l_{3,i}$. With $x = \mathbf{1} \in \mathbb{R}^5$, $w_1 = 2$, $w_2 = 3$ and $b = 4$ the
output is $y = 3\,(2 + 4) = 18$. Backward from $y$:
$$
\frac{\partial y}{\partial w_2} = \frac15 \sum_i l_{2,i} = 6, \qquad
\frac{\partial y}{\partial w_1} = \frac{w_2}{5} \sum_i x_i = 3, \qquad
\frac{\partial y}{\partial x_i} = \frac{w_2\,w_1}{5} = 1.2.
$$
The weights are 0-d tensors broadcast over five entries, so their gradients are sums of five terms.
`b` was made with `requires_grad=False`: nothing flows into it and it has no `AccumulateGrad` box.
""",
    ),
    dict(
        slug="matmul_ones",
        title="A matrix output: x @ w.T with gradient=ones_like(y)",
        topic="vjp",
        seed="001",
        explanation=r"""
When the output is not a single number, `backward()` needs `gradient=`: a tensor $V$ shaped like the
output, holding the weights of the scalar $f = \sum_{ij} V_{ij} Y_{ij}$ that is really differentiated.
Here $Y = XW^\top$ is $3 \times 2$ and $V$ is all ones, so $f$ is simply the sum of $Y$. Row $i$ of $X$
meets both rows of $W$:
$$
\frac{\partial f}{\partial x_{ik}} = \sum_j V_{ij} w_{jk}, \qquad
\frac{\partial f}{\partial X} = V W = \begin{pmatrix} 5 & 7 & 9 \\ 5 & 7 & 9 \\ 5 & 7 & 9 \end{pmatrix},
\qquad \frac{\partial f}{\partial W} = V^\top X.
$$
""",
    ),
    dict(
        slug="weighted_vjp",
        title="Weighting the outputs: z = 2(2x) with gradient=v",
        topic="vjp",
        seed="001",
        explanation=r"""
Backward never forms a Jacobian. Given a vector $v$ it computes the **vector-Jacobian product**
$v^\top J$, which is the gradient of the weighted sum $f = \sum_i v_i z_i$. Here $y = 2x$ and $z = 2y$,
so $J = \partial z / \partial x = 4I$ and
$$
\frac{\partial f}{\partial x} = J^\top v = 4v = (0.4,\ 4,\ 0.0004)
$$
for $v = (0.1,\ 1,\ 0.0001)$. Changing $v$ changes only how much each output counts, never the graph.
""",
    ),
    dict(
        slug="jacobian_rows",
        title="A full Jacobian, one backward pass per row",
        topic="vjp",
        seed="002",
        explanation=r"""
A one-hot $v = e_i$ turns the vector-Jacobian product into a single row of the Jacobian,
$e_i^\top J = \nabla_a b_i$. For $a = (1, 2, 3)$ and
$$
b = \begin{pmatrix} a_0^2 + a_1 \\ a_1 + a_2 \\ a_2^3 \end{pmatrix}, \qquad
J = \frac{\partial b}{\partial a} = \begin{pmatrix} 2a_0 & 1 & 0 \\ 0 & 1 & 1 \\ 0 & 0 & 3a_2^2 \end{pmatrix}
= \begin{pmatrix} 2 & 1 & 0 \\ 0 & 1 & 1 \\ 0 & 0 & 27 \end{pmatrix},
$$
three passes recover the three rows (the notebook writes the transpose, one column per output).
`retain_graph=True` keeps the graph alive for the next pass, and `a.grad.zero_()` stops the rows from
adding up. The entries of `b` are filled by index assignment, which autograd records as `CopySlices`.
""",
    ),
    dict(
        slug="sigmoid_layer",
        title="One sigmoid layer: the chain of Jacobians",
        topic="vjp",
        seed="000",
        explanation=r"""
One layer without bias: $y = Wx$ with $W \in \mathbb{R}^{2 \times 3}$ and $x = (1, 2, 3)^\top$, the sigmoid
written out as $a = 1/(1 + e^{-y})$, and the loss $l = \sum_i a_i^2$. The chain rule multiplies the
transposed Jacobians, starting from the input side:
$$
\nabla_x l = \underbrace{W^\top}_{(\partial y / \partial x)^\top}\;
\underbrace{\operatorname{diag}\big(\sigma(y)(1 - \sigma(y))\big)}_{\partial a / \partial y}\;
\underbrace{2a}_{\partial l / \partial a}.
$$
The program's check `by_hand` leaves out the factor 2 (as if the loss were $\tfrac12 \sum_i a_i^2$), which
is why `xs.grad` is exactly twice `by_hand`. For the weights,
$\nabla_W l = \big(2a \odot \sigma'(y)\big)\,x^\top$; since $y_1 = 22$ saturates the sigmoid, the first row
of `ws.grad` is tiny (about $10^{-9}$).
""",
    ),
    dict(
        slug="frobenius",
        title="Matrix calculus: the squared Frobenius norm of XW + b",
        topic="vjp",
        seed="004",
        explanation=r"""
A matrix-valued affine map reduced to one number by the squared Frobenius norm:
$$
y = \lVert XW + b \rVert_F^2 = \sum_{ij} R_{ij}^2, \qquad R = XW + b.
$$
With $\partial y / \partial R = 2R$, matrix calculus gives
$$
\frac{\partial y}{\partial b} = 2R, \qquad \frac{\partial y}{\partial X} = 2R\,W^\top, \qquad
\frac{\partial y}{\partial W} = X^\top\,2R,
$$
each with the shape of its own tensor. The inputs are random but seeded with `torch.manual_seed(0)`, so
the numbers are the notebook's.
""",
    ),
    dict(
        slug="second_derivatives",
        title="Second derivatives with autograd.grad(create_graph=True)",
        topic="higher-order",
        seed="001",
        explanation=r"""
`torch.autograd.grad` returns gradients instead of adding them to `.grad`. With `create_graph=True` the
backward computation is itself recorded as a graph, so its result can be differentiated again. For
$$
y = x_1^2 + x_2^2 + x_1 x_2 \quad \text{at} \quad (x_1, x_2) = (3, 1),
$$
the first derivatives are $\partial y / \partial x_1 = 2x_1 + x_2 = 7$ and
$\partial y / \partial x_2 = 2x_2 + x_1 = 5$; differentiating those once more gives the Hessian
$$
H = \begin{pmatrix} 2 & 1 \\ 1 & 2 \end{pmatrix}.
$$
There are six passes: two first-order ones and four second-order ones, and the mixed terms agree.
""",
    ),
    dict(
        slug="accumulation",
        title="Gradients add up until zero_()",
        topic="accumulation",
        seed="004",
        explanation=r"""
`backward()` **adds** to `.grad`; it never overwrites it. With $x = 1$, $w = 2$ and $b = 3$:

- first pass, $y_1 = (wx + b)^2$: $\partial y_1 / \partial w = 2(wx + b)\,x = 10$,
  $\partial y_1 / \partial x = 2(wx + b)\,w = 20$ and $\partial y_1 / \partial b = 2(wx + b) = 10$;
- second pass, $y_2 = wx + b$: its gradients $(1, 2, 1)$ are added, giving $(11, 22, 11)$;
- third pass, after `.grad.zero_()` on every leaf: only $(1, 2, 1)$ is left.

That is why a training loop clears the gradients before each step. Step through the passes to watch
`.grad` change.
""",
    ),
    dict(
        slug="two_layer_sigmoid",
        title="Two-layer sigmoid network, with retain_grad()",
        topic="two-layer",
        seed="003",
        explanation=r"""
Two layers with sigmoid activations $\sigma$ and no biases, one input $x = 1$ and target
$y = (1, 0)^\top$:
$$
z_1 = W_1 x, \quad y_1 = \sigma(z_1), \quad z_2 = W_2 y_1, \quad y_2 = \sigma(z_2), \quad
L = \tfrac12 \lVert y_2 - y \rVert^2 \approx 0.49987.
$$
Backward applies the chain rule one layer at a time, using $\sigma' = \sigma\,(1 - \sigma)$:
$$
\frac{\partial L}{\partial z_2} = (y_2 - y) \odot y_2 \odot (1 - y_2), \qquad
\frac{\partial L}{\partial W_2} = \frac{\partial L}{\partial z_2}\, y_1^\top, \qquad
\frac{\partial L}{\partial y_1} = W_2^\top \frac{\partial L}{\partial z_2},
$$
and the same two steps repeat for the first layer. `retain_grad()` asks PyTorch to keep `.grad` on the
intermediate tensors so they can be printed; the last lines rebuild $\partial L / \partial W_2$ and
$\partial L / \partial y_1$ from these formulas and agree with autograd.
""",
    ),
    dict(
        slug="two_layer_hooks",
        title="Two-layer sigmoid network, gradients caught by hooks",
        topic="two-layer",
        seed="003",
        explanation=r"""
The same network without `retain_grad()`. Plain PyTorch drops the gradients of $z_1, y_1, z_2, y_2$ as
soon as backward has used them; the notebook registers a hook on each tensor to catch them on the way
past. The explorer hooks every node of the graph itself, so the program needs no hooks of its own:
each box shows $\partial L / \partial(\text{its output})$. For example, because
$x = 1$,
$$
\frac{\partial L}{\partial z_1} = \frac{\partial L}{\partial W_1}\,x^\top = \frac{\partial L}{\partial W_1}.
$$
""",
    ),
    dict(
        slug="two_layer_batch",
        title="Two-layer regression network on 100 random samples",
        topic="two-layer",
        seed="004",
        explanation=r"""
A small regression network: 100 samples, one feature in and one out, ten hidden sigmoid units, and the
squared error summed over samples:
$$
\hat{Y} = \big(\sigma(XW_1) + b_1\big)\,W_2 + b_2, \qquad f = \lVert Y - \hat{Y} \rVert_F^2 \approx 1010.44.
$$
The code adds $b_1$ after the sigmoid (the notebook's formula puts it inside), and $b_1$, $b_2$ hold one
bias per sample. With $G = \partial f / \partial \hat{Y} = 2(\hat{Y} - Y)$:
$$
\frac{\partial f}{\partial b_2} = G, \qquad \frac{\partial f}{\partial Y} = -G, \qquad
\frac{\partial f}{\partial W_2} = \big(\sigma(XW_1) + b_1\big)^\top G, \qquad
\frac{\partial f}{\partial b_1} = G\,W_2^\top.
$$
The targets $Y$ were made with `requires_grad=True`, so they get a gradient too, the mirror image of
`b2.grad`. `torch.manual_seed(0)` reproduces the notebook's data.
""",
    ),
    dict(
        slug="deep_sigmoid",
        title="Vanishing gradients: twelve sigmoid layers",
        topic="diagnosis",
        seed="",
        explanation=r"""
Twelve linear layers, each followed by a sigmoid, on a batch of 32. Backward multiplies the gradient by
$W_k^\top \operatorname{diag}\big(\sigma'(z_k)\big)$ at every layer, and
$\sigma' = \sigma(1-\sigma) \le \tfrac14$, so after twelve layers it has shrunk by many orders of magnitude:
$$
\Big\lVert \frac{\partial L}{\partial W_1} \Big\rVert \approx 10^{-11}
\quad\text{against}\quad \Big\lVert \frac{\partial L}{\partial W_{12}} \Big\rVert \approx 0.1.
$$
The first layers hardly learn. The diagnosis names the first layer whose gradient norm fell to $10^{-4}$
of the output layer's (`vanishing`, at the line of the loop). Compare *Deep ReLU network*, the same network
with ReLU.
""",
    ),
    dict(
        slug="deep_relu",
        title="The same twelve layers with ReLU: gradients that reach the start",
        topic="diagnosis",
        seed="",
        explanation=r"""
The network of *Vanishing gradients* with $\operatorname{relu}$ in place of the sigmoid, and its weights
drawn by He's initialisation (`kaiming_normal_`), variance $2/n$ for $n$ inputs. Where a unit is active its
derivative is 1, not at most $\tfrac14$, and the variance $2/n$ makes up for the half of the units that are
off, so the gradient keeps its size from the last layer to the first:
$\lVert \partial L / \partial W_1 \rVert \approx 0.09$ against
$\lVert \partial L / \partial W_{12} \rVert \approx 0.07$.
The diagnosis finds nothing.
""",
    ),
    dict(
        slug="nan_log",
        title="NaN from log: a probability that is negative",
        topic="diagnosis",
        seed="",
        explanation=r"""
Normalising $x = (2, 0.5, -0.5, 1)$ by its sum gives "probabilities" $p = x / 3$, one of them negative, and
$\log p_3 = \log(-\tfrac16)$ is NaN. Everything computed from it is NaN too: the loss
$-\tfrac14 \sum_i \log p_i$ and so the figure's output. The diagnosis goes back to the first op whose output
was not finite, `log` at line 5, and shows the values that went in. (Backward itself stays finite here:
$\partial \log p / \partial p = 1/p$ is $-6$ at $p = -\tfrac16$.)
""",
    ),
    dict(
        slug="nan_sqrt",
        title="Inf in backward: the square root of zero",
        topic="diagnosis",
        seed="",
        explanation=r"""
The distance $d = \sqrt{\sum_i (a_i - b_i)^2}$ between two equal points is 0, a finite forward. Its
derivative is not:
$$
\frac{\partial d}{\partial s} = \frac{1}{2\sqrt{s}} = \frac{1}{0} = \infty \quad\text{at } s = 0,
$$
so `SqrtBackward0` sends Inf, and the next node multiplies it by $2(a - b) = 0$: $0 \cdot \infty$ is NaN,
which is what `a.grad` holds. The diagnosis names `SqrtBackward0` at line 5, where the gradient first stopped
being finite, not the NaN further down. (The usual fix: $\sqrt{s + \varepsilon}$.)
""",
    ),
    dict(
        slug="nan_division",
        title="NaN from division: normalising the zero vector",
        topic="diagnosis",
        seed="",
        explanation=r"""
Dividing a vector by its norm, $u = v / \lVert v \rVert$, is $\tfrac00$ for $v = 0$: NaN in every entry,
in the forward pass, and every gradient computed from it is NaN as well. The diagnosis names the division,
`div` at line 5, with $v$ and $\lVert v \rVert = 0$ as the values that went in.
""",
    ),
    dict(
        slug="exploding_rnn",
        title="Exploding gradients: a recurrent loop without clipping",
        topic="diagnosis",
        seed="",
        explanation=r"""
A linear recurrence $h_t = h_{t-1} W + x_t U$ over 20 steps, with $W$ an orthogonal matrix times 1.6. Backward
through time multiplies the gradient by $W^\top$ at each step, so it grows as $1.6^{t}$:
$\lVert \partial L / \partial h_1 \rVert$ is about $1.6^{19} \approx 7500$ times
$\lVert \partial L / \partial h_{20} \rVert$.
One gradient step with learning rate $0.01$ then overshoots, the next loss overflows, and from the second
step on every loss is NaN. The diagnosis names the step of the loop where the gradient norm passed $10^3$
times the output's (`exploding`, line 11).
""",
    ),
    dict(
        slug="exploding_rnn_clipped",
        title="The same loop with gradient clipping",
        topic="diagnosis",
        seed="",
        explanation=r"""
The loop of *Exploding gradients* with one line more: `clip_grad_norm_` scales the gradients of $W$ and $U$
together so their norm is at most 1,
$$
g \leftarrow g \cdot \min\Big(1, \frac{1}{\lVert g \rVert}\Big),
$$
before each step. The loss now falls from step to step and stays finite. Backward still explodes inside
each pass (the diagnosis still says `exploding` at line 11): clipping bounds the step, it does not make the
recurrence well-behaved.
""",
    ),
    dict(
        slug="dead_relu",
        title="Dead ReLUs: a large negative bias",
        topic="diagnosis",
        seed="",
        explanation=r"""
A hidden layer of 8 ReLU units whose biases are all $-10$: for inputs of size about 1,
$z = Wx + b < 0$ for every sample, so $\operatorname{relu}(z) = 0$ and its derivative is 0. No gradient passes
`ReluBackward0`, and the hidden layer's weights get $\partial L / \partial W = 0$: they can never learn.
The diagnosis counts the units whose gradient is zero for the whole batch of 16
(`dead_relu`: 8 of 8, line 11).
""",
    ),
    dict(
        slug="resnet18",
        title="ResNet-18 on one 224×224 image",
        topic="real-models",
        seed="",
        explanation=r"""
ResNet-18 with random weights, classifying one $3 \times 224 \times 224$ image into 1,000 classes:
a $7 \times 7$ convolution and max pooling, four stages of two **basic blocks** (64, 128, 256 and 512
channels, the image halved by each of the last three stages), average pooling and one linear layer, with
the cross-entropy loss $L = -\log \operatorname{softmax}(z)_{207}$. Every block computes
$$
u = F(x) + S(x), \qquad y = \operatorname{relu}(u),
$$
where $F$ is conv–batchnorm–relu–conv–batchnorm and the shortcut $S$ is the identity (or a $1 \times 1$
convolution where the shape changes). In the graph, each block's `AddBackward0` has two ways in, and
backward sends the same gradient $g = \partial L / \partial u$ down both:
$$
\frac{\partial L}{\partial x} = J_F^\top g + J_S^\top g, \qquad J_S^\top g = g \text{ for the identity}.
$$
The identity path carries $g$ back unchanged, which is why gradients still reach the first layers of a
deep residual network. 11.7 million parameters, each weight with its own `AccumulateGrad` box.
""",
    ),
    dict(
        slug="resnet50",
        title="A ResNet-50-shaped network: bottleneck blocks 3-4-6-3",
        topic="real-models",
        seed="",
        explanation=r"""
The layout of ResNet-50 with random weights, on one $224 \times 224$ image: a stem and a pooled linear
head like ResNet-18's, and 16 **bottleneck** blocks in stages of 3, 4, 6 and 3. A bottleneck squeezes
the channels with a $1 \times 1$ convolution, works at that width with a $3 \times 3$ one, and widens them
again four times with another $1 \times 1$:
$$
F(x) = \operatorname{bn}_3\,W_{1\times1}^{\uparrow}\;\operatorname{relu}\,\operatorname{bn}_2\,W_{3\times3}\;
\operatorname{relu}\,\operatorname{bn}_1\,W_{1\times1}^{\downarrow}\,x, \qquad
y = \operatorname{relu}\big(F(x) + S(x)\big).
$$
That is 53 convolutions and 16 residual additions. Each stage's first block has a projection shortcut
(a $1 \times 1$ convolution with batch norm) and the others an identity: compare how many
`ConvolutionBackward0` boxes feed each `AddBackward0`. Every layer has half the channels of ResNet-50
(bottlenecks 32 to 256 wide instead of 64 to 512), so its 6.9 million weights (ResNet-50 has 25.6 million)
and their gradients fit the explorer's memory; the graph is the same, box for box.
""",
    ),
    dict(
        slug="gpt2_small",
        title="A GPT-2-small-shaped transformer: 12 blocks, causal self-attention",
        topic="real-models",
        seed="",
        explanation=r"""
A decoder-only transformer with the shape of GPT-2 small and random weights: 12 blocks, model width
$d = 768$, 12 attention heads of $d_h = 64$, on one sequence of 64 tokens, predicting each next token
with the cross-entropy averaged over the 64 positions. To fit the explorer's memory it is smaller where
the graph stays the same: a vocabulary of 2,048 tokens (GPT-2 has 50,257), 64 positions (1,024), and a
feed-forward layer 768 wide (3,072). Each block is
$$
x \leftarrow x + \operatorname{Attn}\big(\operatorname{LN}_1(x)\big), \qquad
x \leftarrow x + \operatorname{MLP}\big(\operatorname{LN}_2(x)\big),
$$
and each head computes
$$
\operatorname{softmax}\Big(\frac{QK^\top}{\sqrt{d_h}} + M\Big)\,V,
$$
where the mask $M$ is $-\infty$ above the diagonal, so a position sees only itself and the ones before it.
Look for `SoftmaxBackward0`: the masked entries get weight 0 and so gradient 0. The two residual
`AddBackward0` boxes of every block, the twelve blocks repeating, and `wte.weight` used twice (to embed
the tokens and, transposed, to score them at the output: weight tying) are what to follow in the graph.
""",
    ),
    dict(
        slug="rnn_unrolled",
        title="An RNN unrolled over 500 steps: one cell, shared weights",
        topic="real-models",
        seed="",
        explanation=r"""
A recurrent network is one cell applied again and again. Here `nn.RNNCell` reads a sequence of 500
vectors $x_t \in \mathbb{R}^{16}$ into a state $h_t \in \mathbb{R}^{32}$,
$$
h_t = \tanh\big(W_{ih}\,x_t + b_{ih} + W_{hh}\,h_{t-1} + b_{hh}\big), \qquad h_0 = 0,
$$
and a linear readout of $h_{500}$ is fitted to one target by the squared error. Autograd has no loops: it
records all 500 steps, six boxes each, 3,000 in a row. The same four tensors $W_{ih}, b_{ih}, W_{hh}, b_{hh}$
feed every step, so their `AccumulateGrad` boxes have 500 edges each and collect the sum
$$
\frac{\partial L}{\partial W_{hh}} = \sum_{t=1}^{500} \Big(\frac{\partial L}{\partial h_t} \odot
\big(1 - h_t^2\big)\Big)\,h_{t-1}^\top
$$
(this is backpropagation through time). Follow the gradient of $h_t$ back along the chain: each step
multiplies it by $W_{hh}^\top \operatorname{diag}(1 - h_t^2)$, which is why it shrinks (or explodes) over
long sequences.
""",
    ),
    dict(
        slug="lstm",
        title="An LSTM over 200 steps, gate by gate",
        topic="real-models",
        seed="",
        explanation=r"""
A long short-term memory network, its cell written out so each gate is a box of its own. One linear map
of $[x_t, h_{t-1}]$ gives four vectors, cut apart by `chunk` (`SplitBackward0`); then
$$
i_t = \sigma(\cdot), \quad f_t = \sigma(\cdot), \quad o_t = \sigma(\cdot), \quad g_t = \tanh(\cdot), \qquad
c_t = f_t \odot c_{t-1} + i_t \odot g_t, \qquad h_t = o_t \odot \tanh(c_t),
$$
over 200 steps of a 16-feature sequence with a 32-wide state, and a readout of $h_{200}$ fitted by the
squared error. In the graph each step has three `SigmoidBackward0` (the input, forget and output gates)
and two `TanhBackward0`. The cell state runs along a path of its own, one `MulBackward0` and one
`AddBackward0` a step: along it, backward multiplies $\partial L / \partial c_t$ by the forget gate,
$\partial L / \partial c_{t-1} = f_t \odot \partial L / \partial c_t$, with no weight matrix in between.
That path is how an LSTM *can* keep gradients alive over long sequences, but only where its forget gates
are near 1, and with these random weights they are not: they average 0.50, so the gradient shrinks by about
half at each step back. *Why isn't it learning?* finds it vanishing: the gradient reaching the state is
$10^{-6}$ of the last step's within 23 steps back, as fast as in the 500-step RNN (also 23 steps), and the
first 3 steps get exactly zero, less than float32 can hold. Set the forget gates' bias to 3 after the model
is made (`model.cell.gates.bias.data[32:64] = 3.0`) and they average 0.95: the first step then still gets
3.6% of the last step's gradient. This is why LSTMs are usually started with a positive forget-gate bias.
""",
    ),
)
